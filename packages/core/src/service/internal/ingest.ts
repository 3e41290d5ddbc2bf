/**
 * Ingestion (DESIGN.md §3–§4): one ordered, batched path from a delivery (a bus chunk, or the
 * HTTP posts that arrived together) to durable state.
 *
 * A batch, under the state lock: decode every entry → ask the store once which of their ids
 * it has already processed → decide and apply each event in order (and the parked closes an
 * open releases) → commit everything the batch changed in **one** store transaction. The
 * caller acknowledges afterwards; snapshots and other publications are requested from the
 * publisher, which sends them outside the lock.
 *
 * When the commit fails it is retried with backoff (transient failures only). When it still
 * fails, the state the batch applied is thrown away (reloaded from the store), and each event
 * of the batch is tried alone, with the same retries: one event the store refuses does not
 * take the others down with it. An event that fails every attempt answers `Failed` (the bus
 * dead-letters it with the error; HTTP answers 503); events after it in the batch follow.
 */
import { Cause, Clock, Effect, Either, Queue, Schedule, type Scope } from "effect"
import * as KeySet from "../../domain/KeySet.js"
import * as Portfolio from "../../domain/Portfolio.js"
import * as Valuation from "../../domain/Valuation.js"
import type { PriceFeedService } from "../../ports/PriceFeed.js"
import { StoreError, type StoreBatch, type TradeStoreService } from "../../ports/TradeStore.js"
import { decodeEnvelope, InvalidEvent } from "../../schema/Envelope.js"
import type { IncomingEvent } from "../../schema/EventsIn.js"
import type { IngestResult } from "../../schema/Ingest.js"
import type { ClosedTradeRecord } from "../../schema/Records.js"
import type { PortfolioConfigShape } from "../Config.js"
import * as Metrics from "../Metrics.js"
import type { Publisher, StateHolder, Valuer } from "./publisher.js"
import * as Recovery from "./recovery.js"
import type { Tally } from "./tally.js"
import * as Trace from "./trace.js"

/** One envelope to ingest, and where it came from. */
export interface Item {
  readonly raw: unknown
  readonly origin: "bus" | "http"
  readonly busId: string | null
  /** The type of the stream a bus entry was read from: its `event_type` must agree. */
  readonly streamType?: string | undefined
  /** The caller's idempotency key (HTTP `Idempotency-Key`): the event's key when given. */
  readonly idempotencyKey?: string | undefined
}

/** What became of one item. */
export type Outcome =
  | {
      readonly _tag: "Done"
      /** The answer for an HTTP caller; `undefined` for a bus entry, which nobody reads an answer of. */
      readonly result: IngestResult | undefined
      readonly invalid: InvalidEvent | undefined
    }
  | {
      readonly _tag: "Failed"
      readonly eventType: string
      readonly error: StoreError
      /** The event's trace, for the lines about its failure. */
      readonly trace: Trace.Annotations
    }

/** What ingestion needs. */
export interface Deps {
  readonly config: PortfolioConfigShape
  readonly store: TradeStoreService
  readonly prices: PriceFeedService
  readonly holder: StateHolder
  readonly valuer: Valuer
  readonly publisher: Publisher
  readonly tally: Tally
}

/** The running ingestion. */
export interface Ingest {
  /** Ingests a batch in order; answers one outcome per item, in order. */
  readonly batch: (items: ReadonlyArray<Item>) => Effect.Effect<ReadonlyArray<Outcome>>
  /** Joins the next group commit (concurrent callers share one transaction); answers once durable. */
  readonly grouped: (items: ReadonlyArray<Item>) => Effect.Effect<ReadonlyArray<Outcome>>
  /** {@link Ingest.grouped} without a fiber: `done` is called once the items' batch is durable. */
  readonly submit: (items: ReadonlyArray<Item>, done: (outcomes: ReadonlyArray<Outcome>) => void) => void
  /** Applies the parked closes whose grace has passed as orphan closes. */
  readonly expireParked: Effect.Effect<void>
  /** Runs forever: sleeps until the oldest parked close's grace ends, then expires what is due. */
  readonly watchParked: Effect.Effect<never>
}

/** Waits for the event loop's next turn (`setImmediate`: after pending I/O callbacks have run). */
const nextTurnOfTheEventLoop: Effect.Effect<void> = Effect.async<void>((resume) => {
  const handle = setImmediate(() => resume(Effect.void))
  return Effect.sync(() => clearImmediate(handle))
})

/** Most envelopes taken into one group commit of HTTP posts. */
const maxGroup = 5_000

const resultOf = (decision: Exclude<Portfolio.Decision, { _tag: "Rejected" }>, key: string | undefined): IngestResult => {
  const base = { event_type: decision.event.type, event_id: key ?? null, reason: null, issues: [] }
  switch (decision._tag) {
    case "Applied":
      return { ...base, status: "applied" }
    case "Parked":
      return { ...base, status: "parked", reason: "its trade is not open yet: kept until its trade.opened arrives" }
    case "Duplicate":
      return { ...base, status: "duplicate", event_id: decision.key }
    case "Ignored":
      return { ...base, status: "ignored", reason: decision.reason }
  }
}

/** The outcome of a bus entry that was handled (applied, duplicate, ignored or parked): nothing to answer. */
const handled: Outcome = { _tag: "Done", result: undefined, invalid: undefined }

const rejectedResult = (e: InvalidEvent): IngestResult => ({
  status: "rejected",
  event_type: e.eventType,
  event_id: null,
  reason: e.reason,
  issues: e.issues
})

/** The store rows a decision writes, if any (price ticks write none). */
const storeBatchOf = (d: Portfolio.Decision): StoreBatch | undefined => {
  if (d._tag === "Parked") return { eventKey: d.key, eventType: d.event.type, at: d.event.at, ...d.changes }
  if (d._tag !== "Applied" || (d.key === undefined && d.changes === Portfolio.noChanges)) return undefined
  return { eventKey: d.key, eventType: d.event.type, at: d.event.at, ...d.changes }
}

/** Starts ingestion (its group-commit fiber runs in the scope). */
export const make = (deps: Deps): Effect.Effect<Ingest, never, Scope.Scope> =>
  Effect.gen(function* () {
    const { config, store, prices, holder, valuer, publisher, tally } = deps
    const lock = yield* Effect.makeSemaphore(1)
    // Wakes the watcher of parked closes when one is parked while none was.
    const parkedWake = yield* Queue.sliding<void>(1)
    const retry = Schedule.exponential(config.ingestRetryBase, 2).pipe(
      Schedule.union(Schedule.spaced(config.ingestRetryCap)),
      Schedule.jittered,
      Schedule.intersect(Schedule.recurs(Math.max(0, config.ingestMaxAttempts - 1))),
      Schedule.whileInput((e: StoreError) => e.retryable)
    )

    /** Throws the state away and reads it back from the store (keeping the prices seen since). */
    const reload = Effect.suspend(() =>
      Recovery.portfolio(config.portfolio, store, Recovery.marksOf(holder.current)).pipe(
        // Nothing can be applied on a state that is not the store's: wait for the store.
        Effect.retry(Schedule.spaced(config.ingestRetryCap)),
        Effect.orDie,
        Effect.tap((state) => Effect.sync(() => (holder.current = state))),
        Effect.zipLeft(Effect.logWarning("state reloaded from the store after a failed commit"))
      )
    )

    /** Commits the decisions' rows in one transaction, with retries. */
    const commit = (decisions: ReadonlyArray<Portfolio.Decision>) => {
      const batches: Array<StoreBatch> = []
      for (const d of decisions) {
        const b = storeBatchOf(d)
        if (b !== undefined) batches.push(b)
      }
      if (batches.length === 0) return Effect.void
      return Effect.gen(function* () {
        const started = yield* Clock.currentTimeMillis
        const results = yield* store.commitMany(batches)
        const took = (yield* Clock.currentTimeMillis) - started
        yield* Metrics.commitSeconds(Effect.succeed(took / 1000))
        if (results.includes("duplicate")) {
          return yield* new StoreError({
            operation: "commit",
            reason: "an event of the batch was committed meanwhile by another writer",
            retryable: false
          })
        }
      }).pipe(Effect.retry(retry))
    }

    /** Ids of the events not known in memory that the store may know (one query). */
    const learnProcessed = (events: ReadonlyArray<IncomingEvent>) =>
      Effect.suspend(() => {
        const state = holder.current
        const unknown: Array<string> = []
        for (const event of events) {
          if (event.type === "market.tick") continue
          const key = Portfolio.eventKey(event)
          if (key !== undefined && !KeySet.has(state.seen, key)) unknown.push(key)
          const tradeId = event.type === "trade.closed" ? event.payload.trade_id : undefined
          if (tradeId !== undefined && !state.trades.has(tradeId)) {
            const opened = Portfolio.openedKey(tradeId)
            if (!KeySet.has(state.seen, opened)) unknown.push(opened)
          }
        }
        if (unknown.length === 0) return Effect.void
        return store.processedAmong(unknown).pipe(
          Effect.retry(retry),
          Effect.map((known) => {
            for (const key of known) KeySet.add(holder.current.seen, key)
          })
        )
      })

    /**
     * Applies events in order and commits them together: answers every decision of each event
     * (its own first, then the closes it released). On failure the state is reloaded.
     */
    const attempt = (events: ReadonlyArray<IncomingEvent>) =>
      Effect.gen(function* () {
        yield* learnProcessed(events)
        const now = yield* Clock.currentTimeMillis
        const state = holder.current
        const decided = events.map((event) => Portfolio.step(state, event, now))
        const committed = yield* Effect.either(commit(decided.flat()))
        if (Either.isLeft(committed)) {
          yield* reload
          return yield* committed.left
        }
        return decided
      })

    /** What follows a committed batch: counters, publications, price subscriptions. */
    const after = (decided: ReadonlyArray<ReadonlyArray<Portfolio.Decision>>) =>
      Effect.gen(function* () {
        const counts = new Map<string, number>()
        const count = (type: string, outcome: string) => {
          const k = `${type}\n${outcome}`
          counts.set(k, (counts.get(k) ?? 0) + 1)
        }
        const symbols = new Set<string>()
        // Symbols whose last position may have closed: their price subscription is released.
        const released = new Set<string>()
        let lifecycle: IncomingEvent | undefined
        let parked = false
        const realizing: Array<{ readonly event: IncomingEvent; readonly closes: ReadonlyArray<ClosedTradeRecord> }> = []
        const ess: Array<IncomingEvent & { type: "ess.tripped" }> = []
        for (const decisions of decided) {
          const first = decisions[0]!
          const type = first.event.type
          switch (first._tag) {
            case "Applied":
              tally.count(tally.processed, type)
              count(type, "applied")
              break
            case "Parked":
              tally.count(tally.parked, type)
              count(type, "parked")
              parked = true
              break
            case "Duplicate":
              tally.count(tally.duplicates, type)
              count(type, "duplicate")
              break
            case "Ignored":
              tally.count(tally.ignored, type)
              count(type, "ignored")
              break
          }
          for (const d of decisions) {
            if (d._tag !== "Applied") continue
            if (d !== first) {
              // A parked close its trade's open released: applied now.
              tally.count(tally.processed, d.event.type)
              count(d.event.type, "applied")
            }
            for (const t of d.changes.upsertOpenTrades) if (t.opened_at === d.event.at) symbols.add(t.symbol)
            for (const p of d.changes.upsertNetPositions) symbols.add(p.symbol)
            for (const c of d.changes.closes) if (c.remaining_size === 0) released.add(c.symbol)
            for (const p of d.changes.deleteNetPositions) released.add(p.symbol)
            if (!d.lifecycle) continue
            lifecycle = d.event
            const closes = d.changes.closes.filter(Portfolio.isTradeClose)
            if (closes.length > 0) realizing.push({ event: d.event, closes })
            if (d.event.type === "ess.tripped") ess.push(d.event)
          }
        }
        yield* Metrics.countEvents(counts)
        yield* Metrics.parkedCloses(Effect.succeed(Portfolio.parkedCount(holder.current)))
        if (parked) yield* Queue.offer(parkedWake, undefined)
        if (symbols.size > 0) {
          yield* prices.subscribe([...symbols]).pipe(
            Effect.catchAll((e) => Effect.logWarning("price subscription failed").pipe(Effect.annotateLogs({ reason: e.reason })))
          )
        }
        if (released.size > 0) {
          const open = Portfolio.openSymbols(holder.current)
          const unused = [...released].filter((symbol) => !open.has(symbol))
          if (unused.length > 0) {
            yield* prices.unsubscribe(unused).pipe(
              Effect.catchAll((e) => Effect.logWarning("price unsubscription failed").pipe(Effect.annotateLogs({ reason: e.reason })))
            )
          }
        }
        if (lifecycle === undefined) return
        yield* publisher.requestSnapshot(lifecycle)
        if (realizing.length === 0 && ess.length === 0) return
        // A pnl or drawdown event needs no cash for what it reports of PnL: with no cash read
        // yet (an exchange not answered) it still goes out, valued without it.
        const v = yield* valuer.valueNow.pipe(
          Effect.catchTag("CashUnavailable", () => Effect.map(Clock.currentTimeMillis, (now) => Valuation.value(holder.current, 0, now)))
        )
        const breakdown = realizing.length > 0 ? Valuation.pnl(holder.current, v) : undefined
        for (const { closes, event } of realizing) {
          yield* publisher.enqueue({
            type: "portfolio.pnl_updated",
            payload: Valuation.pnlUpdated(holder.current, v, closes, breakdown),
            traceId: event.traceId,
            correlationId: event.correlationId
          })
        }
        for (const event of ess) yield* publisher.enqueue(publisher.drawdownEvent(v, "ess_tripped", event.payload.reason, event))
      })

    const batch = (items: ReadonlyArray<Item>): Effect.Effect<ReadonlyArray<Outcome>> =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const outcomes: Array<Outcome | undefined> = new Array(items.length)
        const events: Array<IncomingEvent> = []
        const positions: Array<number> = []
        // Each rejection gets a log line with the event's trace, written once the batch is settled.
        const rejections: Array<{ readonly item: Item; readonly invalid: InvalidEvent; readonly trace: Trace.Annotations }> = []
        items.forEach((item, i) => {
          const decoded = decodeEnvelope(item.raw, {
            defaultTime: now,
            ...(item.streamType !== undefined ? { streamType: item.streamType } : {}),
            ...(item.idempotencyKey !== undefined ? { idempotencyKey: item.idempotencyKey } : {})
          })
          if (Either.isLeft(decoded)) {
            tally.reject(decoded.left, item.raw, item.origin, item.busId, now)
            outcomes[i] = { _tag: "Done", result: rejectedResult(decoded.left), invalid: decoded.left }
            rejections.push({ item, invalid: decoded.left, trace: Trace.ofRaw(item.raw) })
          } else {
            events.push(decoded.right)
            positions.push(i)
          }
        })
        const rejected = items.length - events.length
        if (rejected > 0) {
          const counts = new Map<string, number>()
          for (const o of outcomes) {
            if (o?._tag !== "Done" || o.invalid === undefined) continue
            const key = `${o.invalid.eventType}\nrejected`
            counts.set(key, (counts.get(key) ?? 0) + 1)
          }
          yield* Metrics.countEvents(counts)
        }
        yield* Metrics.batchSize(Effect.succeed(items.length))
        const applied: Array<ReadonlyArray<Portfolio.Decision>> = []
        const settle = (j: number, decisions: ReadonlyArray<Portfolio.Decision>) => {
          const first = decisions[0]!
          if (first._tag === "Rejected") {
            const issues = [{ path: first.path, message: first.reason }]
            const invalid = new InvalidEvent({ eventType: first.event.type, reason: `${first.path}: ${first.reason}`, issues })
            tally.reject(invalid, items[positions[j]!]!.raw, items[positions[j]!]!.origin, items[positions[j]!]!.busId, now)
            outcomes[positions[j]!] = { _tag: "Done", result: rejectedResult(invalid), invalid }
            rejections.push({ item: items[positions[j]!]!, invalid, trace: Trace.ofEvent(first.event) })
            return
          }
          applied.push(decisions)
          if (items[positions[j]!]!.origin === "bus") {
            outcomes[positions[j]!] = handled
            return
          }
          const key = first._tag === "Applied" || first._tag === "Ignored" ? Portfolio.eventKey(first.event) : first.key
          outcomes[positions[j]!] = { _tag: "Done", result: resultOf(first, key), invalid: undefined }
        }
        // The lines about the whole batch name its events' traces; those about one event, its own.
        const traces = Trace.ofEvents(events)
        const whole = yield* Effect.either(lock.withPermits(1)(attempt(events)).pipe(Trace.annotate(traces)))
        if (Either.isRight(whole)) {
          whole.right.forEach((decisions, j) => settle(j, decisions))
        } else if (events.length === 1) {
          outcomes[positions[0]!] = { _tag: "Failed", eventType: events[0]!.type, error: whole.left, trace: traces }
        } else {
          yield* Effect.logWarning(`a batch of ${events.length} events could not be committed; trying each alone`).pipe(
            Effect.annotateLogs({ reason: whole.left.message }),
            Trace.annotate(traces)
          )
          for (let j = 0; j < events.length; j++) {
            const trace = Trace.ofEvent(events[j]!)
            const one = yield* Effect.either(lock.withPermits(1)(attempt([events[j]!])).pipe(Trace.annotate(trace)))
            if (Either.isRight(one)) settle(j, one.right[0]!)
            else outcomes[positions[j]!] = { _tag: "Failed", eventType: events[j]!.type, error: one.left, trace }
          }
        }
        for (const r of rejections) {
          yield* Effect.logWarning("event rejected").pipe(
            Effect.annotateLogs({
              event_type: r.invalid.eventType,
              reason: r.invalid.reason,
              origin: r.item.origin,
              ...(r.item.busId === null ? {} : { bus_id: r.item.busId }),
              ...r.trace
            })
          )
        }
        const failed = outcomes.filter((o): o is Extract<Outcome, { _tag: "Failed" }> => o?._tag === "Failed")
        for (const f of failed) {
          tally.count(tally.failed, f.eventType)
          yield* Effect.logError("event not applied after every retry").pipe(Effect.annotateLogs({ event_type: f.eventType, reason: f.error.message, ...f.trace }))
        }
        if (failed.length > 0) {
          yield* Metrics.countEvents(new Map(failed.map((f) => [`${f.eventType}\nfailed`, 1] as const)))
        }
        if (applied.length > 0) yield* after(applied).pipe(Trace.annotate(traces))
        return outcomes as ReadonlyArray<Outcome>
      })

    // Group commit: HTTP posts that arrive while a batch is being committed join the next one.
    // Callers wait on a callback rather than a Deferred and a Queue each: one post is one event,
    // and their machinery cost as much as deciding it.
    interface Waiting {
      readonly items: ReadonlyArray<Item>
      readonly done: (outcomes: ReadonlyArray<Outcome>) => void
    }
    let waiting: Array<Waiting> = []
    let wake: (() => void) | undefined
    const work = Effect.async<void>((resume) => {
      if (waiting.length > 0) return resume(Effect.void)
      wake = () => {
        wake = undefined
        resume(Effect.void)
      }
      return Effect.sync(() => void (wake = undefined))
    })
    yield* work.pipe(
      // Let the requests that arrived meanwhile reach the list (their sockets are read in the
      // event loop's next poll), so that concurrent posts share one transaction.
      Effect.zipRight(nextTurnOfTheEventLoop),
      Effect.zipRight(
        Effect.suspend(() => {
          const requests = waiting
          waiting = []
          return Effect.gen(function* () {
            let next = 0
            while (next < requests.length) {
              // Up to maxGroup envelopes per transaction (a single larger request goes alone).
              const from = next
              let size = requests[next++]!.items.length
              while (next < requests.length && size + requests[next]!.items.length <= maxGroup) size += requests[next++]!.items.length
              const group = requests.slice(from, next)
              const outcomes = yield* batch(group.length === 1 ? group[0]!.items : group.flatMap((r) => r.items))
              let offset = 0
              for (const r of group) {
                // A caller's callback runs here, in the group's fiber: what it throws is logged,
                // never let out to stop the group commit of every later caller.
                try {
                  r.done(group.length === 1 ? outcomes : outcomes.slice(offset, offset + r.items.length))
                } catch (thrown) {
                  yield* Effect.logError("an ingestion caller's callback threw", Cause.die(thrown))
                }
                offset += r.items.length
              }
            }
          })
        })
      ),
      Effect.forever,
      Effect.forkScoped
    )

    // A caller that goes away leaves its items in the group: once handed over, they are ingested.
    const submit = (items: ReadonlyArray<Item>, done: (outcomes: ReadonlyArray<Outcome>) => void): void => {
      waiting.push({ items, done })
      wake?.()
    }
    const grouped = (items: ReadonlyArray<Item>) =>
      Effect.async<ReadonlyArray<Outcome>>((resume) => submit(items, (outcomes) => resume(Effect.succeed(outcomes))))

    const expireParked = Effect.gen(function* () {
      if (holder.current.parked.size === 0) return
      const expired = yield* lock.withPermits(1)(
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const decisions = Portfolio.expireParked(holder.current, now)
          if (decisions.length === 0) return []
          const committed = yield* Effect.either(commit(decisions))
          if (Either.isLeft(committed)) {
            yield* reload
            yield* Effect.logWarning("parked closes past their grace not applied; trying again later").pipe(
              Effect.annotateLogs({ reason: committed.left.message })
            )
            return []
          }
          return decisions
        })
      )
      if (expired.length === 0) return
      yield* Effect.gen(function* () {
        yield* Effect.logWarning(`${expired.length} parked close(s) applied as orphans: their trade did not open within the grace`)
        yield* after(expired.map((d) => [d]))
      }).pipe(Trace.annotate(Trace.ofEvents(expired.map((d) => d.event))))
    })

    const watchParked = Effect.gen(function* () {
      const due = Portfolio.nextParkedDue(holder.current)
      if (due === undefined) return yield* Queue.take(parkedWake)
      const now = yield* Clock.currentTimeMillis
      if (due > now) yield* Effect.sleep(due - now)
      yield* expireParked
    }).pipe(Effect.forever)

    return { batch, grouped, submit, expireParked, watchParked }
  })
