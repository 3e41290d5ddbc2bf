/**
 * The portfolio program (DESIGN.md §2–§5), written against the ports only:
 *
 * - at start: rebuild open positions, PnL windows (from per-bucket sums, not every close) and
 *   last prices from the `TradeStore`, the drawdown peaks
 *   from the `EquityHistory`, subscribe prices of open symbols, consume the five event types;
 * - each event: validate → persist (one transaction with its id) → apply → acknowledge, then
 *   publish; an invalid event is dead-lettered with its reason and counted, nothing else
 *   changes; a redelivered event changes nothing; a trade lifecycle event publishes a snapshot
 *   (at most one per `lifecycleSnapshotThrottle`, the rest coalesced into one trailing snapshot);
 * - every snapshot interval: build the snapshot, record an equity sample, save changed prices, publish
 *   `portfolio.snapshot_updated` and `portfolio.exposure_updated`, evaluate the drawdown alert;
 * - on stop: finish the event in hand, publish a last snapshot, release everything.
 *
 * @since 0.1.0
 */
import { Clock, Duration, Effect, Either, Layer, Schedule, Stream } from "effect"
import * as Calendar from "../domain/Calendar.js"
import * as Drawdown from "../domain/Drawdown.js"
import * as KeySet from "../domain/KeySet.js"
import * as PnlStats from "../domain/PnlStats.js"
import * as Portfolio from "../domain/Portfolio.js"
import * as Valuation from "../domain/Valuation.js"
import { AccountBalance } from "../ports/AccountBalance.js"
import { EquityHistory } from "../ports/EquityHistory.js"
import { EventBus, type Delivery } from "../ports/EventBus.js"
import { PriceFeed, type PriceTick } from "../ports/PriceFeed.js"
import { TradeStore, type StoreError } from "../ports/TradeStore.js"
import { decodeEnvelope, encodeOutgoing, type InvalidEvent } from "../schema/Envelope.js"
import { incomingEventTypes, type IncomingEvent } from "../schema/EventsIn.js"
import type { DrawdownReason, OutgoingEvent } from "../schema/EventsOut.js"
import type { IngestResult } from "../schema/Ingest.js"
import { formatEventTime } from "../schema/Primitives.js"
import type { MarkRecord } from "../schema/Records.js"
import { PortfolioConfig } from "./Config.js"
import * as DrawdownAlert from "./DrawdownAlert.js"
import { makeHealth } from "./internal/health.js"
import { makeTally } from "./internal/tally.js"
import { PortfolioService, type PortfolioServiceShape } from "./PortfolioService.js"

/** The version the service reports in health. */
export const VERSION = "0.1.0"

const retryStore = Schedule.exponential("50 millis", 2).pipe(
  Schedule.intersect(Schedule.recurs(5)),
  Schedule.whileInput((e: StoreError) => e.retryable)
)

/** Builds the running service; see the module doc. */
export const make = Effect.gen(function* () {
  const config = yield* PortfolioConfig
  const store = yield* TradeStore
  const history = yield* EquityHistory
  const prices = yield* PriceFeed
  const balance = yield* AccountBalance
  const bus = yield* EventBus
  const startedAt = yield* Clock.currentTimeMillis

  // Recovery: positions and PnL from the trade store, peaks from the equity history.
  const [openTrades, netPositions, realizedBuckets, marks] = yield* Effect.all([
    store.openTrades,
    store.netPositions,
    store.realizedBuckets,
    store.marks
  ])
  const state = Portfolio.restore(config.portfolio, { openTrades, netPositions, realizedBuckets, marks })
  const savedMarks = new Map(marks.map((m) => [m.symbol, m.at]))
  const extremes = yield* history.extremes
  const recent = yield* history.range({ from: startedAt - 8 * Calendar.DAY })
  const drawdown = Drawdown.restore(state.calendar, extremes, recent)
  yield* Effect.logInfo("portfolio recovered").pipe(
    Effect.annotateLogs({
      open: state.trades.size + state.positions.size,
      closes: state.pnl.closes,
      prices: marks.length,
      equity_samples: extremes.count
    })
  )

  const lock = yield* Effect.makeSemaphore(1)
  const tally = makeTally()
  let alertActive = false
  let lastCash: number | undefined
  let lastSnapshotAt: number | null = null

  const cash = Effect.gen(function* () {
    const reading = yield* Effect.either(balance.balance)
    if (Either.isRight(reading)) {
      const b = reading.right
      lastCash = b.source === "paper" ? b.initialCash + PnlStats.total(state.pnl) : b.walletBalance
    } else if (lastCash === undefined) {
      yield* Effect.logWarning("no cash balance yet; equity uses 0 cash").pipe(Effect.annotateLogs({ reason: reading.left.reason }))
    }
    return lastCash ?? 0
  })

  const valueNow = Effect.gen(function* () {
    const c = yield* cash
    const now = yield* Clock.currentTimeMillis
    return Valuation.value(state, c, now)
  })

  const publish = (event: OutgoingEvent) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      yield* bus.publish(encodeOutgoing(event, now, config.serviceName))
    }).pipe(
      Effect.catchAll((e) => {
        tally.publishFailures++
        return Effect.logWarning(`publish ${event.type} failed`).pipe(Effect.annotateLogs({ reason: e.reason }))
      })
    )

  const drawdownEvent = (v: Valuation.Valuation, reason: DrawdownReason, essReason: string | null, trace?: IncomingEvent): OutgoingEvent => ({
    type: "portfolio.drawdown_updated",
    payload: {
      ...Valuation.drawdown(drawdown, v),
      reason,
      threshold_pct: config.drawdownAlertPct,
      ess_reason: essReason,
      alert_active: alertActive,
      triggered_at: formatEventTime(v.now)
    },
    traceId: trace?.traceId,
    correlationId: trace?.correlationId
  })

  const evaluateAlert = (v: Valuation.Valuation) =>
    Effect.suspend(() => {
      const daily = Drawdown.metrics(drawdown, v.now, v.equity).dailyDrawdownPct
      const r = DrawdownAlert.evaluate(alertActive, daily, config.drawdownAlertPct, config.drawdownHysteresisPct)
      alertActive = r.active
      return r.transition === undefined ? Effect.void : publish(drawdownEvent(v, r.transition, null))
    })

  const snapshotEvent = (v: Valuation.Valuation, trace?: IncomingEvent): OutgoingEvent => ({
    type: "portfolio.snapshot_updated",
    payload: Valuation.snapshot(state, v, drawdown),
    traceId: trace?.traceId,
    correlationId: trace?.correlationId
  })

  /** Saves the prices that changed since the last save, so a restart marks positions as they were. */
  const saveMarks = Effect.suspend(() => {
    const changed: Array<MarkRecord> = []
    for (const [symbol, mark] of state.marks) {
      const saved = savedMarks.get(symbol)
      if (saved === undefined || saved < mark.at) changed.push({ symbol, price: mark.price, at: mark.at })
    }
    if (changed.length === 0) return Effect.void
    return store.saveMarks(changed).pipe(
      Effect.tap(() => Effect.sync(() => changed.forEach((m) => savedMarks.set(m.symbol, m.at)))),
      Effect.catchAll((e) => Effect.logWarning("last prices not stored").pipe(Effect.annotateLogs({ reason: e.reason })))
    )
  })

  /** The periodic work: sample equity, publish snapshot and exposure, evaluate the alert. */
  const periodic = lock.withPermits(1)(
    Effect.gen(function* () {
      const v = yield* valueNow
      yield* history
        .append({ at: v.now, equity: v.equity, cash: v.cash, unrealized_pnl: v.unrealizedPnl })
        .pipe(Effect.catchAll((e) => Effect.logWarning("equity sample not stored").pipe(Effect.annotateLogs({ reason: e.reason }))))
      Drawdown.record(drawdown, { at: v.now, equity: v.equity })
      yield* saveMarks
      lastSnapshotAt = v.now
      yield* publish(snapshotEvent(v))
      yield* publish({ type: "portfolio.exposure_updated", payload: Valuation.exposure(v) })
      yield* evaluateAlert(v)
    })
  )

  // Snapshots on lifecycle events, at most one per throttle interval: the first at once, the
  // rest coalesced into one trailing publication, so a burst of n opens costs O(n), not O(n²).
  const throttleMs = Duration.toMillis(config.lifecycleSnapshotThrottle)
  const serviceScope = yield* Effect.scope
  let lastLifecycleAt = Number.NEGATIVE_INFINITY
  let trailing: IncomingEvent | undefined
  const publishLifecycle = (event: IncomingEvent) =>
    Effect.gen(function* () {
      lastLifecycleAt = yield* Clock.currentTimeMillis
      const v = yield* valueNow
      yield* publish(snapshotEvent(v, event))
    })
  const lifecycleSnapshot = (event: IncomingEvent) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const wait = lastLifecycleAt + throttleMs - now
      if (wait <= 0) return yield* publishLifecycle(event)
      const scheduled = trailing !== undefined
      trailing = event
      if (scheduled) return
      yield* Effect.sleep(Duration.millis(wait)).pipe(
        Effect.zipRight(
          lock.withPermits(1)(
            Effect.suspend(() => {
              const last = trailing!
              trailing = undefined
              return publishLifecycle(last)
            })
          )
        ),
        // Forked from an uninterruptible region (ingest, delivery): make it stoppable.
        Effect.interruptible,
        Effect.forkIn(serviceScope)
      )
    })

  const afterApplied = (decision: Extract<Portfolio.Decision, { _tag: "Applied" }>) =>
    Effect.gen(function* () {
      const event = decision.event
      const opened = decision.changes.upsertOpenTrades.filter((t) => t.opened_at === event.at).map((t) => t.symbol)
      const positioned = decision.changes.upsertNetPositions.map((p) => p.symbol)
      const symbols = [...new Set([...opened, ...positioned])]
      if (symbols.length > 0) {
        yield* prices.subscribe(symbols).pipe(Effect.catchAll((e) => Effect.logWarning("price subscription failed").pipe(Effect.annotateLogs({ reason: e.reason }))))
      }
      if (!decision.lifecycle) return
      yield* lifecycleSnapshot(event)
      const v = yield* valueNow
      const realizing = decision.changes.closes.filter(Portfolio.isTradeClose)
      if (realizing.length > 0) {
        const last = realizing[realizing.length - 1]!
        yield* publish({
          type: "portfolio.pnl_updated",
          payload: {
            ...Valuation.pnl(state, v),
            trade_id: last.trade_id,
            symbol: last.symbol,
            trade_realized_pnl: realizing.reduce((s, c) => s + c.realized_pnl, 0)
          },
          traceId: event.traceId,
          correlationId: event.correlationId
        })
      }
      if (event.type === "ess.tripped") {
        yield* publish(drawdownEvent(v, "ess_tripped", event.payload.reason, event))
      } else {
        yield* evaluateAlert(v)
      }
    })

  const duplicate = (event: IncomingEvent, key: string): IngestResult => {
    Portfolio.evolve(state, { _tag: "Duplicate", event, key })
    tally.count(tally.duplicates, event.type)
    return { status: "duplicate", event_type: event.type, event_id: key, reason: null, issues: [] }
  }

  /** Persist, then apply, then publish: one event, under the lock. */
  const applyEvent = (event: IncomingEvent) =>
    lock.withPermits(1)(
      Effect.gen(function* () {
        const key = Portfolio.eventKey(event)
        if (key !== undefined && !KeySet.has(state.seen, key) && (yield* store.isProcessed(key))) return duplicate(event, key)
        const decision = Portfolio.decide(state, event)
        if (decision._tag === "Duplicate") return duplicate(event, decision.key)
        if (decision._tag === "Applied" && decision.key !== undefined) {
          const committed = yield* store.commit({ eventKey: decision.key, eventType: event.type, at: event.at, ...decision.changes })
          if (committed === "duplicate") return duplicate(event, decision.key)
        }
        Portfolio.evolve(state, decision)
        switch (decision._tag) {
          case "Ignored":
            tally.count(tally.ignored, event.type)
            return { status: "ignored", event_type: event.type, event_id: key ?? null, reason: decision.reason, issues: [] } satisfies IngestResult
          case "Applied":
            tally.count(tally.processed, event.type)
            yield* afterApplied(decision)
            return { status: "applied", event_type: event.type, event_id: key ?? null, reason: null, issues: [] } satisfies IngestResult
        }
      })
    )

  /** Validates and applies one envelope; `Left` carries the reason it was rejected. */
  const handle = (raw: unknown, origin: "bus" | "http", busId: string | null) =>
    Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const decoded = decodeEnvelope(raw, { defaultTime: now })
      if (Either.isLeft(decoded)) {
        tally.reject(decoded.left, raw, origin, busId, now)
        return Either.left(decoded.left) as Either.Either<IngestResult, InvalidEvent>
      }
      const result = yield* applyEvent(decoded.right).pipe(Effect.retry(retryStore))
      return Either.right(result) as Either.Either<IngestResult, InvalidEvent>
    })

  const rejected = (e: InvalidEvent): IngestResult => ({
    status: "rejected",
    event_type: e.eventType,
    event_id: null,
    reason: e.reason,
    issues: e.issues
  })

  const onDelivery = (d: Delivery) =>
    handle(d.fields, "bus", d.id).pipe(
      Effect.flatMap((r) => (Either.isLeft(r) ? d.deadLetter(r.left) : d.ack)),
      Effect.catchAll((e) =>
        Effect.logError("event not applied; it stays pending and will be delivered again").pipe(
          Effect.annotateLogs({ event_type: d.eventType, bus_id: d.id, reason: e.message })
        )
      ),
      Effect.uninterruptible
    )

  const onTick = (tick: PriceTick) =>
    lock.withPermits(1)(
      Effect.sync(() => {
        Portfolio.apply(state, {
          type: "market.tick",
          payload: { symbol: tick.symbol, price: tick.price },
          at: tick.at,
          traceId: "",
          source: "price_feed"
        })
      })
    )

  const health = makeHealth({ store, bus, balance, prices, tally, startedAt, version: VERSION, serviceName: config.serviceName, state, lastSnapshotAt: () => lastSnapshotAt })

  // The last snapshot is published after the consumers below are stopped (finalizers run in reverse).
  yield* Effect.addFinalizer(() =>
    periodic.pipe(Effect.timeout("5 seconds"), Effect.ignore, Effect.zipRight(Effect.logInfo("portfolio service stopped")))
  )
  const symbols = [...new Set([...state.trades.values()].map((t) => t.symbol).concat([...state.positions.values()].map((p) => p.symbol)))]
  if (symbols.length > 0) {
    yield* prices.subscribe(symbols).pipe(Effect.catchAll((e) => Effect.logWarning("price subscription failed").pipe(Effect.annotateLogs({ reason: e.reason }))))
  }
  const forever = <E>(name: string) => (self: Effect.Effect<void, E>) =>
    self.pipe(
      Effect.catchAllCause((cause) => Effect.logError(`${name} stopped; restarting`, cause)),
      Effect.zipRight(Effect.sleep("1 second")),
      Effect.forever
    )
  yield* bus.subscribe(incomingEventTypes).pipe(Stream.runForEach(onDelivery), forever("event consumer"), Effect.forkScoped)
  yield* prices.ticks.pipe(Stream.runForEach(onTick), forever("price feed consumer"), Effect.forkScoped)
  yield* periodic.pipe(Effect.repeat(Schedule.spaced(config.snapshotInterval)), Effect.forkScoped)

  const service: PortfolioServiceShape = {
    snapshot: Effect.map(valueNow, (v) => Valuation.snapshot(state, v, drawdown)),
    pnl: Effect.map(valueNow, (v) => Valuation.pnl(state, v)),
    exposure: Effect.map(valueNow, Valuation.exposure),
    drawdown: Effect.map(valueNow, (v) => Valuation.drawdown(drawdown, v)),
    netPositions: Effect.map(valueNow, Valuation.netPositions),
    health,
    rejections: Effect.sync(() => [...tally.rejections]),
    ingest: (envelope) =>
      handle(envelope, "http", null).pipe(
        Effect.map((r) => (Either.isLeft(r) ? rejected(r.left) : r.right)),
        // A caller that goes away must not leave the store and the state out of step.
        Effect.uninterruptible
      ),
    publishSnapshot: periodic
  }
  return service
})

/**
 * The service as a layer: needs the five ports and the configuration; starting it recovers
 * state and starts consuming; closing its scope stops it gracefully.
 */
export const layer: Layer.Layer<
  PortfolioService,
  StoreError,
  PortfolioConfig | TradeStore | EquityHistory | PriceFeed | AccountBalance | EventBus
> = Layer.scoped(PortfolioService, make)
