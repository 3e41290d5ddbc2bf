/**
 * The durable record of trades, closes, fills and processed-event ids.
 *
 * @since 0.1.0
 */
import { Context, Data, type Effect, type Stream } from "effect"
import type { CloseRollupRecord } from "../domain/CloseRollup.js"
import type { Grouping, RollupRange, RollupTotals } from "../domain/RollupQuery.js"
import type { Changes } from "../domain/Portfolio.js"
import type { DailyMarkRecord } from "../schema/Analytics.js"
import type {
  ClosedTradeRecord,
  FillRecord,
  ParkedCloseRecord,
  MarkRecord,
  NetPositionRecord,
  OpenTradeRecord,
  RealizedBucket
} from "../schema/Records.js"

/** A store operation failed. `retryable` says whether trying again may succeed. */
export class StoreError extends Data.TaggedError("StoreError")<{
  readonly operation: string
  readonly reason: string
  readonly retryable: boolean
  readonly cause?: unknown
}> {
  override get message(): string {
    return `store ${this.operation} failed: ${this.reason}`
  }
}

/**
 * Everything one event changes (a decision's `Changes`), written in one transaction together
 * with the event's key, so a crash leaves either all of it or none of it.
 */
export interface StoreBatch extends Changes {
  /**
   * The processed-event id (see `Portfolio.eventKey`), inserted in the same transaction;
   * `undefined` when the event's id was stored before (a parked close released later).
   */
  readonly eventKey: string | undefined
  readonly eventType: string
  /** Event time, epoch ms. */
  readonly at: number
}

/** A time range, epoch ms; `from` inclusive, `to` exclusive; both optional. */
export interface TimeRange {
  readonly from?: number | undefined
  readonly to?: number | undefined
  /** At most this many rows, oldest first. */
  readonly limit?: number | undefined
}

/** The result of {@link TradeStore.commit}. */
export type CommitResult = "committed" | "duplicate"

/**
 * The trade store port.
 *
 * - `commit` writes a {@link StoreBatch} atomically; when its `eventKey` was already committed
 *   it writes nothing and answers `"duplicate"`.
 * - reads return what the service needs at start (open trades, net positions, the realized
 *   PnL per bucket, last prices) and per request (closes in a range, fills).
 */
export interface TradeStoreService {
  readonly commit: (batch: StoreBatch) => Effect.Effect<CommitResult, StoreError>
  /**
   * Writes many batches in **one** transaction, in order; each answers as {@link commit} would
   * (a batch whose `eventKey` was already committed writes nothing and answers `"duplicate"`).
   * All or nothing: when it fails, none of them is written.
   */
  readonly commitMany: (batches: ReadonlyArray<StoreBatch>) => Effect.Effect<ReadonlyArray<CommitResult>, StoreError>
  readonly isProcessed: (eventKey: string) => Effect.Effect<boolean, StoreError>
  /** Which of these processed-event ids were committed already: one query for a batch. */
  readonly processedAmong: (eventKeys: ReadonlyArray<string>) => Effect.Effect<ReadonlySet<string>, StoreError>
  /** The parked closes (closes waiting for their trade's open), oldest first. */
  readonly parkedCloses: Effect.Effect<ReadonlyArray<ParkedCloseRecord>, StoreError>
  readonly openTrades: Effect.Effect<ReadonlyArray<OpenTradeRecord>, StoreError>
  readonly netPositions: Effect.Effect<ReadonlyArray<NetPositionRecord>, StoreError>
  readonly closedTrades: (range?: TimeRange) => Effect.Effect<ReadonlyArray<ClosedTradeRecord>, StoreError>
  readonly fills: (range?: TimeRange) => Effect.Effect<ReadonlyArray<FillRecord>, StoreError>
  /**
   * The closes of `range` as `closedTrades` answers them (by `(closed_at, close_id)`), streamed
   * page by page (`Paging.keyset`): constant memory whatever the range — for exports.
   * `range.limit` stops after that many.
   */
  readonly streamCloses: (range?: TimeRange) => Stream.Stream<ClosedTradeRecord, StoreError>
  /** The fills of `range` as `fills` answers them (by `(executed_at, fill_key)`), streamed as {@link streamCloses}. */
  readonly streamFills: (range?: TimeRange) => Stream.Stream<FillRecord, StoreError>
  /**
   * Every close summed per 15-minute UTC bucket (`REALIZED_BUCKET_MS`), oldest first: what the
   * service rebuilds its PnL windows from at start, in O(buckets) rather than O(closes).
   */
  readonly realizedBuckets: Effect.Effect<ReadonlyArray<RealizedBucket>, StoreError>
  /**
   * The close rollup's rows of `range` (`CloseRollup`: the closes summed per 15 minutes and per
   * UTC day, for every symbol together and per symbol, kept by every commit in its
   * transaction), by start then symbol: each equal to `CloseRollup.fromCloses` of the stored
   * closes. What the trade figures of the analytics read instead of the closes.
   */
  readonly closeRollup: (range: RollupRange) => Effect.Effect<ReadonlyArray<CloseRollupRecord>, StoreError>
  /**
   * The rows of `range` summed per group of `grouping` and symbol (`CloseRollup.totalsOf`, up
   * to the rounding of compensated sums): a year of 15-minute rows as 168 hours of the week
   * without sending 35 000 rows.
   */
  readonly closeRollupTotals: (range: RollupRange, grouping?: Grouping) => Effect.Effect<ReadonlyArray<RollupTotals>, StoreError>
  /** Saves last prices; a symbol's saved price is replaced only by one at the same time or later. */
  readonly saveMarks: (marks: ReadonlyArray<MarkRecord>) => Effect.Effect<void, StoreError>
  /** The saved last prices, by symbol. */
  readonly marks: Effect.Effect<ReadonlyArray<MarkRecord>, StoreError>
  /**
   * The last saved price of each symbol on each UTC day (`saveMarks` keeps it too: a day's row
   * is replaced only by a price at the same time or later), oldest day first, then by symbol;
   * `range` selects days whose start (`day × 86 400 000`) is in it.
   */
  readonly dailyMarks: (range?: TimeRange) => Effect.Effect<ReadonlyArray<DailyMarkRecord>, StoreError>
  /** Number of rows of each kind: for health and benchmarks. */
  readonly counts: Effect.Effect<{ readonly openTrades: number; readonly closes: number; readonly fills: number; readonly events: number; readonly parked: number }, StoreError>
  /** A cheap round trip that fails when the store is unusable: for health. */
  readonly ping: Effect.Effect<void, StoreError>
  /**
   * Which store this is and where it keeps its data, without secrets — `postgres
   * 127.0.0.1:5432/portfolio schema=public account=main`, `sqlite /srv/data/portfolio.db` —
   * for health (`components.store.details.store`). Absent for a store in memory.
   */
  readonly where?: string | undefined
}

/** The trade store: see {@link TradeStoreService}. */
export class TradeStore extends Context.Tag("@portfolio/core/TradeStore")<TradeStore, TradeStoreService>() {}
