/**
 * The trade store kept in memory: the embedded default's fixture and the store of core tests.
 * It has the semantics of the SQLite store in every respect the contract suite
 * (`tradeStoreContract` in `@portfolio/core/testing`) checks:
 *
 * - `commitMany` is all or nothing: when any of its batches has a close or fill key that
 *   already exists (or repeats inside the call), parks a close whose `event_key` is parked
 *   already, or is refused by the `failCommit` hook, it fails with a `StoreError` and writes
 *   nothing, not even an event key; `commit` is `commitMany` of one batch;
 * - a batch whose `eventKey` was committed before (earlier in the same call included) writes
 *   nothing and answers `"duplicate"`; a batch without an `eventKey` is always committed;
 * - within a batch, upserts apply before deletes (a key in both ends up deleted), parkings
 *   before releases;
 * - open trades are listed by `(opened_at, trade_id)`, net positions by `(symbol, side)`,
 *   closes by `(closed_at, close_id)`, fills by `(executed_at, fill_key)` and parked closes by
 *   `(parked_at, event_key)`.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Stream } from "effect"
import * as CloseRollup from "../domain/CloseRollup.js"
import * as RealizedBuckets from "../domain/RealizedBuckets.js"
import * as RollupQuery from "../domain/RollupQuery.js"
import type { DailyMarkRecord } from "../schema/Analytics.js"
import type {
  ClosedTradeRecord,
  FillRecord,
  MarkRecord,
  NetPositionRecord,
  OpenTradeRecord,
  ParkedCloseRecord
} from "../schema/Records.js"
import { type CommitResult, type StoreBatch, StoreError, type TimeRange, TradeStore, type TradeStoreService } from "../ports/TradeStore.js"

/** How a memory store behaves beyond the port's semantics: test hooks. */
export interface Options {
  /**
   * Fault injection, for tests of what the service does when the store fails. Called for every
   * batch of a `commit` or `commitMany` call, in order, before anything is written; an error
   * returned fails the **whole** call with that error, and nothing of it is written (as when
   * SQLite fails mid-transaction). `attempt` is 1 the first time a batch with this `eventKey` is
   * offered to the store, 2 the next, … (a batch without an `eventKey` is counted by identity),
   * so "fails once, then succeeds on retry" is `attempt === 1 ? error : undefined`.
   *
   * @example
   * const store = yield* MemoryTradeStore.makeWith({
   *   failCommit: (batch) =>
   *     batch.eventKey === "trade:t-2"
   *       ? new StoreError({ operation: "commit", reason: "injected", retryable: true })
   *       : undefined
   * })
   */
  readonly failCommit?: ((batch: StoreBatch, attempt: number) => StoreError | undefined) | undefined
}

/**
 * A new, empty trade store with the given {@link Options}.
 *
 * @example
 * const store = yield* MemoryTradeStore.makeWith({ failCommit: () => undefined })
 * yield* store.commitMany([batch1, batch2])
 */
export const makeWith = (options: Options): Effect.Effect<TradeStoreService> => Effect.sync(() => {
  const processed = new Set<string>()
  const open = new Map<string, OpenTradeRecord>()
  const net = new Map<string, NetPositionRecord>()
  const closes = new TimeLog<ClosedTradeRecord>((c) => c.closed_at, (c) => c.close_id)
  const fills = new TimeLog<FillRecord>((f) => f.executed_at, (f) => f.fill_key)
  const parked = new Map<string, ParkedCloseRecord>()
  /** The close rollup by `CloseRollup.keyOf`, kept by every write as a SQL store keeps it. */
  const rollup = new Map<string, CloseRollup.CloseRollupRecord>()
  /** Each row's checkpoints (`CloseRollup.KeptRow`), so that a late close refolds from the last one before it. */
  const checkpoints = new Map<string, ReadonlyArray<CloseRollup.Checkpoint>>()
  const marks = new Map<string, MarkRecord>()
  /** By `day:symbol`: the latest price of each UTC day. */
  const dailyMarks = new Map<string, DailyMarkRecord>()
  const attempts = new Map<string, number>()
  const attemptsByIdentity = new WeakMap<StoreBatch, number>()

  const nextAttempt = (batch: StoreBatch): number => {
    const n = (batch.eventKey === undefined ? attemptsByIdentity.get(batch) : attempts.get(batch.eventKey)) ?? 0
    if (batch.eventKey === undefined) attemptsByIdentity.set(batch, n + 1)
    else attempts.set(batch.eventKey, n + 1)
    return n + 1
  }

  /**
   * Answers each batch as the call would, or throws the first failure, without writing: a
   * dry run over the keys the call would add, so the writes that follow cannot fail.
   */
  const check = (batches: ReadonlyArray<StoreBatch>): Array<CommitResult> => {
    const injected = options.failCommit === undefined
      ? undefined
      : batches.map((batch) => options.failCommit?.(batch, nextAttempt(batch))).find((e) => e !== undefined)
    if (injected !== undefined) throw injected
    const newEvents = new Set<string>()
    const newCloses = new Set<string>()
    const newFills = new Set<string>()
    const parkedNow = new Map<string, boolean>() // event_key → parked after the batches so far
    return batches.map((batch) => {
      const key = batch.eventKey
      if (key !== undefined) {
        if (processed.has(key) || newEvents.has(key)) return "duplicate"
        newEvents.add(key)
      }
      closes.checkNew(batch.closes, "close_id", newCloses)
      fills.checkNew(batch.fills, "fill_key", newFills)
      for (const close of batch.parkCloses) {
        if (parkedNow.get(close.event_key) ?? parked.has(close.event_key)) {
          throw failure(`parked close ${JSON.stringify(close.event_key)} already exists`)
        }
        parkedNow.set(close.event_key, true)
      }
      for (const eventKey of batch.releaseParked) parkedNow.set(eventKey, false)
      return "committed"
    })
  }

  const write = (batch: StoreBatch): void => {
    if (batch.eventKey !== undefined) processed.add(batch.eventKey)
    for (const close of batch.closes) closes.insert(close)
    for (const fill of batch.fills) fills.insert(fill)
    for (const trade of batch.upsertOpenTrades) open.set(trade.trade_id, trade)
    for (const tradeId of batch.deleteOpenTrades) open.delete(tradeId)
    for (const position of batch.upsertNetPositions) net.set(netKey(position), position)
    for (const position of batch.deleteNetPositions) net.delete(netKey(position))
    for (const close of batch.parkCloses) parked.set(close.event_key, close)
    for (const eventKey of batch.releaseParked) parked.delete(eventKey)
  }

  const commitMany = (batches: ReadonlyArray<StoreBatch>): Effect.Effect<ReadonlyArray<CommitResult>, StoreError> =>
    Effect.try({
      try: () => {
        const results = check(batches)
        const added: Array<ClosedTradeRecord> = []
        for (const [i, batch] of batches.entries()) {
          if (results[i] !== "committed") continue
          write(batch)
          for (const close of batch.closes) added.push(close)
        }
        // The rollup once per call, as the SQL stores do: closes of one call share a time and
        // continue their rows in close-id order, where row by row each would be "late" after
        // the one before it (ids compare as text).
        if (added.length > 0) {
          const byRow = CloseRollup.byRow(added)
          const kept = new Map<string, CloseRollup.KeptRow>()
          for (const k of byRow.keys()) {
            const row = rollup.get(k)
            if (row !== undefined) kept.set(k, { row, checkpoints: checkpoints.get(k) ?? [] })
          }
          const rows = CloseRollup.updateKeeping(kept, byRow, (key, from) => closes.range({ from, to: key.start + key.span }))
          // Checkpoints of the rows written lately only (a late close of an older row sums its span again).
          if (checkpoints.size + rows.length > 1_024) checkpoints.clear()
          for (const next of rows) {
            rollup.set(CloseRollup.keyOf(next.row), next.row)
            checkpoints.set(CloseRollup.keyOf(next.row), next.checkpoints)
          }
        }
        return results
      },
      catch: (cause) =>
        cause instanceof StoreError
          ? cause
          : new StoreError({ operation: "commit", reason: String(cause), retryable: false, cause })
    })

  return TradeStore.of({
    commit: (batch) => Effect.map(commitMany([batch]), (results) => results[0] ?? "committed"),
    commitMany,
    isProcessed: (eventKey) => Effect.sync(() => processed.has(eventKey)),
    processedAmong: (eventKeys) => Effect.sync(() => new Set(eventKeys.filter((key) => processed.has(key)))),
    parkedCloses: Effect.sync(() =>
      [...parked.values()].sort((a, b) => a.parked_at - b.parked_at || compareText(a.event_key, b.event_key))
    ),
    openTrades: Effect.sync(() =>
      [...open.values()].sort((a, b) => a.opened_at - b.opened_at || compareText(a.trade_id, b.trade_id))
    ),
    netPositions: Effect.sync(() =>
      [...net.values()].sort((a, b) => compareText(a.symbol, b.symbol) || compareText(a.side, b.side))
    ),
    closedTrades: (range) => Effect.sync(() => closes.range(range)),
    fills: (range) => Effect.sync(() => fills.range(range)),
    streamCloses: (range) => Stream.suspend(() => Stream.fromIterable(closes.range(range))),
    streamFills: (range) => Stream.suspend(() => Stream.fromIterable(fills.range(range))),
    realizedBuckets: Effect.sync(() => RealizedBuckets.fromCloses(closes.range(undefined))),
    closeRollup: (range) => Effect.sync(() => RollupQuery.select(rollup.values(), range)),
    closeRollupTotals: (range, grouping) =>
      Effect.sync(() => RollupQuery.totalsOf(RollupQuery.select(rollup.values(), range), grouping)),
    saveMarks: (records) =>
      Effect.sync(() => {
        for (const mark of records) {
          const known = marks.get(mark.symbol)
          if (known === undefined || known.at <= mark.at) marks.set(mark.symbol, mark)
          const day = Math.floor(mark.at / 86_400_000)
          const key = `${day}:${mark.symbol}`
          const daily = dailyMarks.get(key)
          if (daily === undefined || daily.at <= mark.at) dailyMarks.set(key, { symbol: mark.symbol, day, price: mark.price, at: mark.at })
        }
      }),
    dailyMarks: (range) =>
      Effect.sync(() =>
        [...dailyMarks.values()]
          .filter((m) => (range?.from === undefined || m.day * 86_400_000 >= range.from) && (range?.to === undefined || m.day * 86_400_000 < range.to))
          .sort((a, b) => a.day - b.day || compareText(a.symbol, b.symbol))
      ),
    marks: Effect.sync(() => [...marks.values()].sort((a, b) => compareText(a.symbol, b.symbol))),
    counts: Effect.sync(() => ({
      openTrades: open.size,
      closes: closes.size,
      fills: fills.size,
      events: processed.size,
      parked: parked.size
    })),
    ping: Effect.void
  })
})

/**
 * A new, empty trade store.
 *
 * @example
 * const store = yield* MemoryTradeStore.make
 * yield* store.commit(batch)
 */
export const make: Effect.Effect<TradeStoreService> = makeWith({})

/** The in-memory {@link TradeStore}; each build of the layer starts empty. */
export const layer: Layer.Layer<TradeStore> = Layer.effect(TradeStore, make)

/** The in-memory {@link TradeStore} with {@link Options} (a fault-injection hook). */
export const layerWith = (options: Options): Layer.Layer<TradeStore> => Layer.effect(TradeStore, makeWith(options))

const failure = (reason: string): StoreError => new StoreError({ operation: "commit", reason, retryable: false })

const netKey = (position: { readonly symbol: string; readonly side: string }): string =>
  `${position.symbol}\u0000${position.side}`

/** Code-unit order, the order of SQLite's default `BINARY` collation. */
const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Rows kept sorted by `(time, key)`, read by time range in O(log n + k). */
class TimeLog<A> {
  private readonly rows: Array<A> = []
  private readonly keys = new Set<string>()

  constructor(
    private readonly timeOf: (a: A) => number,
    private readonly keyOf: (a: A) => string
  ) {}

  get size(): number {
    return this.rows.length
  }

  /** Fails when a key already exists or is in `seen` (the keys the call adds), else adds it there. */
  checkNew(incoming: ReadonlyArray<A>, keyName: string, seen: Set<string>): void {
    for (const row of incoming) {
      const key = this.keyOf(row)
      if (this.keys.has(key) || seen.has(key)) throw failure(`${keyName} ${JSON.stringify(key)} already exists`)
      seen.add(key)
    }
  }

  insert(row: A): void {
    const time = this.timeOf(row)
    const key = this.keyOf(row)
    // Rows mostly arrive in time order: appending is the common case.
    let at = this.rows.length
    const last = this.rows[at - 1]
    if (last !== undefined && this.compare(last, time, key) > 0) {
      at = this.lowerBound((r) => this.compare(r, time, key) < 0)
    }
    this.rows.splice(at, 0, row)
    this.keys.add(key)
  }

  range(range: TimeRange | undefined): ReadonlyArray<A> {
    const from = range?.from
    const to = range?.to
    const start = from === undefined ? 0 : this.lowerBound((r) => this.timeOf(r) < from)
    const end = to === undefined ? this.rows.length : this.lowerBound((r) => this.timeOf(r) < to)
    const limit = rowLimit(range?.limit)
    return start >= end ? [] : this.rows.slice(start, Math.min(end, start + limit))
  }

  /** Compares a stored row with a `(time, key)` position. */
  private compare(row: A, time: number, key: string): number {
    return this.timeOf(row) - time || compareText(this.keyOf(row), key)
  }

  /** The first index whose row does not satisfy `before` (rows satisfying it come first). */
  private lowerBound(before: (row: A) => boolean): number {
    let lo = 0
    let hi = this.rows.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (before(this.rows[mid] as A)) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** `undefined` and `Infinity` mean no limit; otherwise a whole number of rows, at least 0. */
const rowLimit = (limit: number | undefined): number =>
  limit === undefined || limit === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(limit) || 0)
