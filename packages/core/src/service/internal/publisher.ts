/**
 * The publisher: everything the service tells the bus, sent by fibers of its own so that a
 * slow or unreachable bus never holds up ingestion (nothing is published while the state is
 * locked).
 *
 * - Snapshots on lifecycle events go through a sliding queue of one: the first is published at
 *   once, then at most one per `lifecycleSnapshotThrottle`, the requests in between coalesced
 *   into the latest (so a burst of n opens costs O(n), not O(n²)).
 * - Every published snapshot, lifecycle or periodic, records an equity sample (peaks, drawdown
 *   and the alert see every published swing; DESIGN.md §4) and evaluates the drawdown alert.
 * - Other events (`portfolio.pnl_updated`, `portfolio.drawdown_updated` on an emergency stop)
 *   go through a bounded queue, in order; past its bound they are dropped and counted.
 */
import { Clock, Duration, Effect, Either, PubSub, Queue, Schedule, type Scope, Stream } from "effect"
import * as Drawdown from "../../domain/Drawdown.js"
import type * as Portfolio from "../../domain/Portfolio.js"
import * as Valuation from "../../domain/Valuation.js"
import { type AccountBalanceService, type CashUnavailable, cashUnavailable, sanitizeReason } from "../../ports/AccountBalance.js"
import type { EquityHistoryService } from "../../ports/EquityHistory.js"
import type { EventBusService } from "../../ports/EventBus.js"
import type { TradeStoreService } from "../../ports/TradeStore.js"
import { encodeOutgoing } from "../../schema/Envelope.js"
import type { IncomingEvent } from "../../schema/EventsIn.js"
import type { DrawdownReason, OutgoingEvent, PublishedEvent } from "../../schema/EventsOut.js"
import { formatEventTime } from "../../schema/Primitives.js"
import type { MarkRecord } from "../../schema/Records.js"
import * as Account from "../Account.js"
import type { PortfolioConfigShape } from "../Config.js"
import * as DrawdownAlert from "../DrawdownAlert.js"
import * as Metrics from "../Metrics.js"
import type { Tally } from "./tally.js"
import * as Trace from "./trace.js"

/** Where the current state is: replaced whole when a failed batch makes the service reload it. */
export interface StateHolder {
  current: Portfolio.Portfolio
  readonly drawdown: Drawdown.Drawdown
}

/** A valuation and the freshness of its cash. */
export interface CashValuation extends Valuation.Valuation {
  /** Epoch ms of the first failed cash read since the last good one; `null` when cash is fresh. */
  readonly cashStaleSince: number | null
}

/**
 * Values the portfolio with cash from the balance port: the last known cash, marked stale
 * (`cashStaleSince`), while the port fails or says its value is stale; `CashUnavailable` while
 * no cash was ever read (never a valuation with 0 cash). The outage is logged once when it
 * starts and once when it ends, not per valuation.
 */
export interface Valuer {
  readonly valueNow: Effect.Effect<CashValuation, CashUnavailable>
  /** The cash a valuation now would use, without valuing the positions. */
  readonly cashNow: Effect.Effect<CashReading, CashUnavailable>
}

/** The cash a valuation uses and since when it is stale (`null`: fresh). */
export interface CashReading {
  readonly cash: number
  readonly staleSince: number | null
}

/** A {@link Valuer} over the state in `holder`. */
export const makeValuer = (holder: StateHolder, balance: AccountBalanceService): Valuer => {
  let lastCash: number | undefined
  /** The port's own `staleSince` at its last answer (an exchange adapter serving its last good value). */
  let portStaleSince: number | undefined
  /** When the port itself first failed since its last answer (the valuer then serves `lastCash`). */
  let failingSince: number | undefined
  /** What was last logged: the outage is announced once, its end once. */
  let logged: { readonly _tag: "fresh" } | { readonly _tag: "unavailable" } | { readonly _tag: "stale"; readonly since: number } = { _tag: "fresh" }

  /** The log line of a change of state, decided (and recorded) synchronously so that concurrent valuations log it once. */
  const transition = (next: typeof logged, reason: string | undefined): Effect.Effect<void> => {
    const before = logged
    if (before._tag === next._tag && (next._tag !== "stale" || (before as { since: number }).since === next.since)) return Effect.void
    logged = next
    const why = reason === undefined ? {} : { reason: sanitizeReason(reason) }
    switch (next._tag) {
      case "unavailable":
        return Effect.logWarning("no cash balance yet: queries answer CashUnavailable and snapshots wait until one is read").pipe(Effect.annotateLogs(why))
      case "stale":
        return Effect.logWarning(`cash balance stale since ${formatEventTime(next.since)}: equity uses the last known cash`).pipe(Effect.annotateLogs(why))
      case "fresh":
        return before._tag === "stale"
          ? Effect.logInfo(`cash balance fresh again (stale since ${formatEventTime(before.since)})`)
          : Effect.logInfo("cash balance read: queries and snapshots resume")
    }
  }

  const cash: Effect.Effect<CashReading, CashUnavailable> = Effect.gen(function* () {
    const reading = yield* Effect.either(balance.balance)
    if (Either.isRight(reading)) {
      const b = reading.right
      failingSince = undefined
      if (b.source === "paper") {
        lastCash = Valuation.paperCash(holder.current, b.initialCash)
        portStaleSince = undefined
      } else {
        lastCash = b.walletBalance
        portStaleSince = b.staleSince
      }
      const since = portStaleSince
      yield* transition(since === undefined ? { _tag: "fresh" } : { _tag: "stale", since }, undefined)
      return { cash: lastCash, staleSince: since ?? null }
    }
    const error = reading.left
    if (lastCash === undefined) {
      yield* transition({ _tag: "unavailable" }, error.reason)
      return yield* Effect.fail(cashUnavailable(error))
    }
    failingSince ??= portStaleSince ?? (yield* Clock.currentTimeMillis)
    yield* transition({ _tag: "stale", since: failingSince }, error.reason)
    return { cash: lastCash, staleSince: failingSince }
  })
  return {
    valueNow: Effect.gen(function* () {
      const c = yield* cash
      const now = yield* Clock.currentTimeMillis
      return Object.assign(Valuation.value(holder.current, c.cash, now), { cashStaleSince: c.staleSince })
    }),
    cashNow: cash
  }
}

/** What the publisher needs. */
export interface Deps {
  readonly config: PortfolioConfigShape
  readonly bus: EventBusService
  readonly history: EquityHistoryService
  readonly store: TradeStoreService
  readonly holder: StateHolder
  readonly valuer: Valuer
  readonly tally: Tally
  /** Marks saved to the store, by symbol → their time. */
  readonly savedMarks: Map<string, number>
}

/** The running publisher. */
export interface Publisher {
  /** Asks for a snapshot after a lifecycle event (throttled and coalesced). */
  readonly requestSnapshot: (trace?: IncomingEvent) => Effect.Effect<void>
  /** Queues an event to publish, in order. */
  readonly enqueue: (event: OutgoingEvent) => Effect.Effect<void>
  /** The periodic work, now: snapshot (with its equity sample and alert), exposure, last prices. */
  readonly periodic: Effect.Effect<void>
  /** The `portfolio.drawdown_updated` payload of an event at this valuation. */
  readonly drawdownEvent: (v: Valuation.Valuation, reason: DrawdownReason, essReason: string | null, trace?: IncomingEvent) => OutgoingEvent
  readonly lastSnapshotAt: () => number | null
  /**
   * Every event as it is published (to this process's listeners, whether or not the bus took
   * it): what the HTTP push streams carry. A listener that falls more than 1 024 events behind
   * loses the oldest (a sliding buffer), so it never holds the publisher up.
   */
  readonly published: Stream.Stream<PublishedEvent>
}

/** The most outgoing events waiting to be published; past it they are dropped and counted. */
const maxQueued = 10_000

/** Starts the publisher's fibers in the scope. */
export const make = (deps: Deps): Effect.Effect<Publisher, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { config, bus, history, store, holder, valuer, tally, savedMarks } = deps
    let alertActive = false
    let lastSnapshotAt: number | null = null
    const source = Account.busName(config.serviceName, config.accountId)

    const published = yield* PubSub.sliding<PublishedEvent>(1024)
    const publish = (event: OutgoingEvent) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const envelope = encodeOutgoing(event, now, source)
        yield* PubSub.publish(published, { ...event, payloadJson: envelope.payload })
        yield* bus.publish(envelope)
      }).pipe(
        Effect.catchAll((e) => {
          tally.publishFailures++
          return Effect.logWarning(`publish ${event.type} failed`).pipe(
            Effect.annotateLogs({ reason: e.reason }),
            Trace.annotate(Trace.ofEvent({ traceId: event.traceId ?? "", correlationId: event.correlationId }))
          )
        })
      )

    const drawdownEvent = (v: Valuation.Valuation, reason: DrawdownReason, essReason: string | null, trace?: IncomingEvent): OutgoingEvent => ({
      type: "portfolio.drawdown_updated",
      payload: {
        ...Valuation.drawdown(holder.drawdown, v),
        reason,
        threshold_pct: config.drawdownAlertPct,
        ess_reason: essReason,
        alert_active: alertActive,
        triggered_at: formatEventTime(v.now)
      },
      traceId: trace?.traceId,
      correlationId: trace?.correlationId
    })

    /** Values the portfolio, records the equity sample, publishes the snapshot, evaluates the alert. */
    const snapshot = (trace?: IncomingEvent) =>
      Effect.gen(function* () {
        const v = yield* valuer.valueNow
        Drawdown.record(holder.drawdown, { at: v.now, equity: v.equity })
        const payload = Valuation.snapshot(holder.current, v, holder.drawdown)
        lastSnapshotAt = v.now
        yield* history
          .append({ at: v.now, equity: v.equity, cash: v.cash, unrealized_pnl: v.unrealizedPnl })
          .pipe(Effect.catchAll((e) => Effect.logWarning("equity sample not stored").pipe(Effect.annotateLogs({ reason: e.reason }))))
        yield* publish({ type: "portfolio.snapshot_updated", payload, traceId: trace?.traceId, correlationId: trace?.correlationId })
        const dd = Drawdown.metrics(holder.drawdown, v.now, v.equity)
        Metrics.recordSnapshot({
          ...v,
          openPositions: v.positions.length,
          dailyDrawdownPct: dd.dailyDrawdownPct,
          weeklyDrawdownPct: dd.weeklyDrawdownPct,
          maxDrawdownPct: dd.maxDrawdownPct
        })
        const daily = dd.dailyDrawdownPct
        const r = DrawdownAlert.evaluate(alertActive, daily, config.drawdownAlertPct, config.drawdownHysteresisPct)
        alertActive = r.active
        // An alert a lifecycle snapshot raises or clears carries the trace of the event behind it.
        if (r.transition !== undefined) yield* publish(drawdownEvent(v, r.transition, null, trace))
        return v
      }).pipe(Trace.annotate(trace === undefined ? {} : Trace.ofEvent(trace)))

    /** Saves the prices that changed since the last save, so a restart marks positions as they were. */
    const saveMarks = Effect.suspend(() => {
      const changed: Array<MarkRecord> = []
      for (const [symbol, mark] of holder.current.marks) {
        const saved = savedMarks.get(symbol)
        if (saved === undefined || saved < mark.at) changed.push({ symbol, price: mark.price, at: mark.at })
      }
      if (changed.length === 0) return Effect.void
      return store.saveMarks(changed).pipe(
        Effect.tap(() => Effect.sync(() => changed.forEach((m) => savedMarks.set(m.symbol, m.at)))),
        Effect.catchAll((e) => Effect.logWarning("last prices not stored").pipe(Effect.annotateLogs({ reason: e.reason })))
      )
    })

    // One fiber publishes snapshots, so a lifecycle snapshot and a periodic one never interleave.
    const snapshots = yield* Effect.makeSemaphore(1)

    const periodic = snapshots.withPermits(1)(
      Effect.gen(function* () {
        const v = yield* snapshot()
        yield* saveMarks
        yield* publish({ type: "portfolio.exposure_updated", payload: Valuation.exposure(v) })
      }).pipe(Effect.catchTag("CashUnavailable", () => saveMarks)) // no cash read yet: nothing published (the valuer logs it once)
    )

    const requests = yield* Queue.sliding<{ readonly trace: IncomingEvent | undefined }>(1)
    const throttle = config.lifecycleSnapshotThrottle
    yield* Queue.take(requests).pipe(
      Effect.flatMap(({ trace }) => snapshots.withPermits(1)(snapshot(trace)).pipe(Effect.catchTag("CashUnavailable", () => Effect.void))),
      Effect.zipRight(Duration.toMillis(throttle) > 0 ? Effect.sleep(throttle) : Effect.void),
      Effect.forever,
      Effect.forkScoped
    )

    const outgoing = yield* Queue.dropping<OutgoingEvent>(maxQueued)
    yield* Queue.takeBetween(outgoing, 1, 100).pipe(
      Effect.flatMap((events) => Effect.forEach(events, publish, { discard: true })),
      Effect.forever,
      Effect.forkScoped
    )
    // What is still queued when the service stops is sent (within the stop's time limit).
    yield* Effect.addFinalizer(() =>
      Queue.takeAll(outgoing).pipe(
        Effect.flatMap((events) => Effect.forEach(events, publish, { discard: true })),
        Effect.timeout("2 seconds"),
        Effect.ignore
      )
    )

    yield* periodic.pipe(Effect.repeat(Schedule.spaced(config.snapshotInterval)), Effect.forkScoped)

    return {
      requestSnapshot: (trace) => Effect.asVoid(Queue.offer(requests, { trace })),
      enqueue: (event) =>
        Effect.flatMap(Queue.offer(outgoing, event), (accepted) =>
          accepted
            ? Effect.void
            : Effect.sync(() => {
                tally.publishFailures++
              }).pipe(Effect.zipRight(Effect.logWarning(`publish ${event.type} dropped: ${maxQueued} events already waiting`)))
        ),
      periodic,
      drawdownEvent,
      lastSnapshotAt: () => lastSnapshotAt,
      published: Stream.fromPubSub(published)
    }
  })
