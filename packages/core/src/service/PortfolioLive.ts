/**
 * The portfolio program (DESIGN.md §2–§5), written against the ports only. It wires four parts,
 * each in its own module under `internal/`:
 *
 * - **recovery** — at start, open positions, PnL windows, last prices and parked closes from the
 *   `TradeStore`, drawdown peaks from the `EquityHistory`;
 * - **ingest** — bus chunks and HTTP posts, in batches: decode → decide each event in order →
 *   commit the batch in one store transaction → apply → acknowledge (one `XACK` per stream);
 *   transient store failures retried with backoff, then dead-lettered; closes whose trade is not
 *   open yet parked until it opens or `PORTFOLIO_ORPHAN_GRACE` passes;
 * - **publisher** — snapshots (lifecycle ones throttled and coalesced, periodic ones every
 *   snapshot interval), each with an equity sample and the drawdown alert; pnl, exposure and
 *   drawdown events; all sent outside the state lock;
 * - **health** — each component and the event counters.
 *
 * On stop: the consumers stop, a last snapshot is published, everything is released.
 *
 * @since 0.1.0
 */
import { Chunk, Clock, Duration, Effect, Either, Layer, Stream } from "effect"
import * as Portfolio from "../domain/Portfolio.js"
import { AccountBalance } from "../ports/AccountBalance.js"
import { EquityHistory } from "../ports/EquityHistory.js"
import { type Delivery, EventBus } from "../ports/EventBus.js"
import { PriceFeed, type PriceTick } from "../ports/PriceFeed.js"
import { TradeStore, type StoreError } from "../ports/TradeStore.js"
import { InvalidEvent } from "../schema/Envelope.js"
import { incomingEventTypes } from "../schema/EventsIn.js"
import type { IngestResult } from "../schema/Ingest.js"
import * as AnalyticsQueries from "./AnalyticsQueries.js"
import { PortfolioConfig } from "./Config.js"
import { makeHealth } from "./internal/health.js"
import * as Ingest from "./internal/ingest.js"
import * as Publisher from "./internal/publisher.js"
import * as Recovery from "./internal/recovery.js"
import * as Views from "./internal/views.js"
import * as Metrics from "./Metrics.js"
import { makeTally } from "./internal/tally.js"
import * as Trace from "./internal/trace.js"
import { type IngestOptions, PortfolioService, type PortfolioServiceShape } from "./PortfolioService.js"

/** The version the service reports in health. */
export const VERSION = "0.2.0"

/** Builds the running service; see the module doc. */
export const make = Effect.gen(function* () {
  const config = yield* PortfolioConfig
  const store = yield* TradeStore
  const history = yield* EquityHistory
  const prices = yield* PriceFeed
  const balance = yield* AccountBalance
  const bus = yield* EventBus
  const startedAt = yield* Clock.currentTimeMillis

  const state = yield* Recovery.portfolio(config.portfolio, store)
  const drawdown = yield* Recovery.drawdown(state.calendar, history, startedAt)
  const holder: Publisher.StateHolder = { current: state, drawdown }
  const savedMarks = new Map([...state.marks].map(([symbol, mark]) => [symbol, mark.at]))
  yield* Effect.logInfo("portfolio recovered").pipe(
    Effect.annotateLogs({
      open: state.trades.size + state.positions.size,
      closes: state.pnl.closes,
      parked: Portfolio.parkedCount(state),
      prices: state.marks.size,
      equity_samples: drawdown.count
    })
  )

  const tally = makeTally()
  const valuer = Publisher.makeValuer(holder, balance)
  const publisher = yield* Publisher.make({ config, bus, history, store, holder, valuer, tally, savedMarks })
  const ingest = yield* Ingest.make({ config, store, prices, holder, valuer, publisher, tally })

  /** Handles one chunk of the bus in order, then settles it: one acknowledgement for the batch. */
  const onDeliveries = (deliveries: ReadonlyArray<Delivery>) =>
    Effect.gen(function* () {
      const outcomes = yield* ingest.batch(deliveries.map((d) => ({ raw: d.fields, origin: "bus" as const, busId: d.id, streamType: d.eventType })))
      const acks: Array<Delivery> = []
      for (let i = 0; i < deliveries.length; i++) {
        const d = deliveries[i]!
        const o = outcomes[i]!
        const why = o._tag === "Failed"
          ? new InvalidEvent({ eventType: o.eventType, reason: `not applied after ${config.ingestMaxAttempts} attempt(s): ${o.error.message}`, issues: [] })
          : o.invalid
        if (why === undefined) {
          acks.push(d)
          continue
        }
        yield* d.deadLetter(why).pipe(
          Effect.zipRight(Metrics.countDeadLetter(d.eventType)),
          Effect.catchAll((e) => Effect.logError("dead-lettering failed; the entry stays pending").pipe(Effect.annotateLogs({ bus_id: d.id, reason: e.reason }))),
          Trace.annotate(Trace.ofRaw(d.fields))
        )
      }
      if (acks.length > 0) {
        yield* bus.ackAll(acks).pipe(
          Effect.catchAll((e) =>
            Effect.logWarning(`${acks.length} entries applied but not acknowledged; they will come again and answer duplicate`).pipe(
              Effect.annotateLogs({ reason: e.reason })
            )
          )
        )
      }
    }).pipe(Effect.uninterruptible)

  const onTick = (tick: PriceTick) =>
    Effect.sync(() => {
      Portfolio.apply(holder.current, {
        type: "market.tick",
        payload: { symbol: tick.symbol, price: tick.price },
        at: tick.at,
        traceId: "",
        source: "price_feed"
      })
    })

  const health = makeHealth({
    store,
    bus,
    balance,
    prices,
    tally,
    startedAt,
    version: VERSION,
    serviceName: config.serviceName,
    state: () => holder.current,
    lastSnapshotAt: publisher.lastSnapshotAt
  })

  // The last snapshot is published after the consumers below are stopped (finalizers run in reverse).
  yield* Effect.addFinalizer(() =>
    publisher.periodic.pipe(Effect.timeout("5 seconds"), Effect.ignore, Effect.zipRight(Effect.logInfo("portfolio service stopped")))
  )
  const symbols = [...Portfolio.openSymbols(state)]
  if (symbols.length > 0) {
    yield* prices.subscribe(symbols).pipe(Effect.catchAll((e) => Effect.logWarning("price subscription failed").pipe(Effect.annotateLogs({ reason: e.reason }))))
  }
  const forever = <E>(name: string) => (self: Effect.Effect<void, E>) =>
    self.pipe(
      Effect.catchAllCause((cause) => Effect.logError(`${name} stopped; restarting`, cause)),
      Effect.zipRight(Effect.sleep("1 second")),
      Effect.forever
    )
  yield* bus.subscribe(incomingEventTypes).pipe(
    Stream.runForEachChunk((chunk) => onDeliveries(Chunk.toReadonlyArray(chunk))),
    forever("event consumer"),
    Effect.forkScoped
  )
  yield* prices.ticks.pipe(Stream.runForEach(onTick), forever("price feed consumer"), Effect.forkScoped)
  yield* ingest.watchParked.pipe(forever("parked-close watcher"), Effect.forkScoped)

  const httpItems = (envelopes: ReadonlyArray<unknown>, options: IngestOptions): ReadonlyArray<Ingest.Item> =>
    envelopes.map((raw) => ({ raw, origin: "http" as const, busId: null, idempotencyKey: envelopes.length === 1 ? options.idempotencyKey : undefined }))
  const answerOf = (outcomes: ReadonlyArray<Ingest.Outcome>): Either.Either<ReadonlyArray<IngestResult>, StoreError> => {
    const failed = outcomes.find((o) => o._tag === "Failed")
    return failed !== undefined
      ? Either.left(failed.error)
      : Either.right(outcomes.map((o) => (o as Extract<Ingest.Outcome, { _tag: "Done" }>).result!)) // HTTP items always carry their answer
  }
  const ingestMany = (envelopes: ReadonlyArray<unknown>, options: IngestOptions = {}): Effect.Effect<ReadonlyArray<IngestResult>, StoreError> =>
    Effect.flatMap(ingest.grouped(httpItems(envelopes, options)), answerOf)

  const { peek: peekView, view } = Views.make(holder, valuer, Duration.toMillis(config.queryCacheMaxAge), startedAt)
  const service: PortfolioServiceShape = {
    view,
    peekView,
    snapshot: Effect.map(view, (v) => v.snapshot),
    pnl: Effect.map(view, (v) => v.pnl),
    exposure: Effect.map(view, (v) => v.exposure()),
    drawdown: Effect.map(view, (v) => v.drawdown),
    netPositions: Effect.map(view, (v) => v.netPositions()),
    health,
    analytics: AnalyticsQueries.make({ options: state.options, store, history, snapshot: Effect.suspend(() => service.snapshot) }),
    rejections: Effect.sync(() => [...tally.rejections]),
    // Answered once durable; a caller that goes away does not take its events back.
    ingest: (envelope, options) => Effect.map(ingestMany([envelope], options), (results) => results[0]!),
    ingestMany,
    submit: (envelopes, options, done) => ingest.submit(httpItems(envelopes, options ?? {}), (outcomes) => done(answerOf(outcomes))),
    publishSnapshot: publisher.periodic,
    published: publisher.published
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
