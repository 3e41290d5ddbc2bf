/**
 * The equity history: one sample per snapshot, and the extremes the drawdown needs.
 *
 * @since 0.1.0
 */
import { Context, type Effect, type Stream } from "effect"
import type { Bucket, Point } from "../domain/EquityCurve.js"
import type { EquityExtremes, EquitySample } from "../schema/Records.js"
import type { StoreError, TimeRange } from "./TradeStore.js"

/**
 * The equity history port. `append` keeps `extremes` current (the all-time peak, the trough
 * since it, the largest drawdown in percent), so a restart need not read every sample.
 * Samples must be appended in time order; a sample older than the latest is rejected with a
 * `StoreError`.
 */
export interface EquityHistoryService {
  readonly append: (sample: EquitySample) => Effect.Effect<void, StoreError>
  readonly range: (range?: TimeRange) => Effect.Effect<ReadonlyArray<EquitySample>, StoreError>
  readonly latest: Effect.Effect<EquitySample | null, StoreError>
  readonly extremes: Effect.Effect<EquityExtremes, StoreError>
  /**
   * The samples of `range` in open/high/low/close buckets of `bucketMs` aligned to the epoch
   * (`EquityCurve.bucketize`), oldest first, empty buckets left out. The range is widened to
   * whole buckets (`from` down, `to` up to a bucket boundary) so each bucket holds all its
   * samples. Kept from a rollup of `EquityCurve.ROLLUP_MS` buckets updated on every append: a
   * bucket size that is a multiple of it never reads the samples.
   */
  readonly bucketed: (range: TimeRange, bucketMs: number) => Effect.Effect<ReadonlyArray<Bucket>, StoreError>
  /**
   * For each boundary, the last sample before it (`at < boundary`; the latest appended among
   * equal times), or `null` when there is none: the daily closes, given the zone's day ends
   * (`EquityCurve.dayEnds`). One index seek per boundary, never a scan.
   */
  readonly lastBefore: (boundaries: ReadonlyArray<number>) => Effect.Effect<ReadonlyArray<Point | null>, StoreError>
  /**
   * The samples of `range` as `range` answers them (oldest first, equal times in append
   * order), streamed page by page (`Paging.keyset`): constant memory whatever the range — for
   * exports. `range.limit` stops after that many.
   */
  readonly stream: (range?: TimeRange) => Stream.Stream<EquitySample, StoreError>
}

/** The equity history: see {@link EquityHistoryService}. */
export class EquityHistory extends Context.Tag("@portfolio/core/EquityHistory")<EquityHistory, EquityHistoryService>() {}
