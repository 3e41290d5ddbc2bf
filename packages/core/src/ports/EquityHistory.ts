/**
 * The equity history: one sample per snapshot, and the extremes the drawdown needs.
 *
 * @since 0.1.0
 */
import { Context, type Effect } from "effect"
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
}

/** The equity history: see {@link EquityHistoryService}. */
export class EquityHistory extends Context.Tag("@portfolio/core/EquityHistory")<EquityHistory, EquityHistoryService>() {}
