/**
 * The trade store kept in memory: the embedded default's fixture and the store of core tests.
 * It has the semantics of the SQLite store in every respect the contract suite
 * (`tradeStoreContract` in `@portfolio/core/testing`) checks:
 *
 * - `commit` is all or nothing: a batch whose close or fill key already exists (or repeats
 *   inside the batch) fails with a `StoreError` and writes nothing, not even its event key;
 * - within a batch, upserts apply before deletes (a key in both ends up deleted);
 * - open trades are listed by `(opened_at, trade_id)`, net positions by `(symbol, side)`,
 *   closes by `(closed_at, close_id)` and fills by `(executed_at, fill_key)`.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import * as RealizedBuckets from "../domain/RealizedBuckets.js"
import type { ClosedTradeRecord, FillRecord, MarkRecord, NetPositionRecord, OpenTradeRecord } from "../schema/Records.js"
import { type CommitResult, type StoreBatch, StoreError, type TimeRange, TradeStore, type TradeStoreService } from "../ports/TradeStore.js"

/**
 * A new, empty trade store.
 *
 * @example
 * const store = yield* MemoryTradeStore.make
 * yield* store.commit(batch)
 */
export const make: Effect.Effect<TradeStoreService> = Effect.sync(() => {
  const processed = new Set<string>()
  const open = new Map<string, OpenTradeRecord>()
  const net = new Map<string, NetPositionRecord>()
  const closes = new TimeLog<ClosedTradeRecord>((c) => c.closed_at, (c) => c.close_id)
  const fills = new TimeLog<FillRecord>((f) => f.executed_at, (f) => f.fill_key)
  const marks = new Map<string, MarkRecord>()

  const commit = (batch: StoreBatch): CommitResult => {
    if (processed.has(batch.eventKey)) return "duplicate"
    // Validate everything first, so a failing batch leaves no trace.
    closes.checkNew(batch.closes, "close_id")
    fills.checkNew(batch.fills, "fill_key")
    processed.add(batch.eventKey)
    for (const close of batch.closes) closes.insert(close)
    for (const fill of batch.fills) fills.insert(fill)
    for (const trade of batch.upsertOpenTrades) open.set(trade.trade_id, trade)
    for (const tradeId of batch.deleteOpenTrades) open.delete(tradeId)
    for (const position of batch.upsertNetPositions) net.set(netKey(position), position)
    for (const position of batch.deleteNetPositions) net.delete(netKey(position))
    return "committed"
  }

  return TradeStore.of({
    commit: (batch) =>
      Effect.try({
        try: () => commit(batch),
        catch: (cause) =>
          cause instanceof StoreError
            ? cause
            : new StoreError({ operation: "commit", reason: String(cause), retryable: false, cause })
      }),
    isProcessed: (eventKey) => Effect.sync(() => processed.has(eventKey)),
    openTrades: Effect.sync(() =>
      [...open.values()].sort((a, b) => a.opened_at - b.opened_at || compareText(a.trade_id, b.trade_id))
    ),
    netPositions: Effect.sync(() =>
      [...net.values()].sort((a, b) => compareText(a.symbol, b.symbol) || compareText(a.side, b.side))
    ),
    closedTrades: (range) => Effect.sync(() => closes.range(range)),
    fills: (range) => Effect.sync(() => fills.range(range)),
    realizedBuckets: Effect.sync(() => RealizedBuckets.fromCloses(closes.range(undefined))),
    saveMarks: (records) =>
      Effect.sync(() => {
        for (const mark of records) {
          const known = marks.get(mark.symbol)
          if (known === undefined || known.at <= mark.at) marks.set(mark.symbol, mark)
        }
      }),
    marks: Effect.sync(() => [...marks.values()].sort((a, b) => compareText(a.symbol, b.symbol))),
    counts: Effect.sync(() => ({
      openTrades: open.size,
      closes: closes.size,
      fills: fills.size,
      events: processed.size
    })),
    ping: Effect.void
  })
})

/** The in-memory {@link TradeStore}; each build of the layer starts empty. */
export const layer: Layer.Layer<TradeStore> = Layer.effect(TradeStore, make)

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

  /** Fails when a key already exists or repeats within `incoming`. */
  checkNew(incoming: ReadonlyArray<A>, keyName: string): void {
    const seen = new Set<string>()
    for (const row of incoming) {
      const key = this.keyOf(row)
      if (this.keys.has(key) || seen.has(key)) {
        throw new StoreError({
          operation: "commit",
          reason: `${keyName} ${JSON.stringify(key)} already exists`,
          retryable: false
        })
      }
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
