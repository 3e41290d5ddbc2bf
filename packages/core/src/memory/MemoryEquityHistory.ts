/**
 * The equity history kept in memory: the embedded default's fixture and the history of core
 * tests. It has the semantics of the SQLite history in every respect the contract suite
 * (`equityHistoryContract` in `@portfolio/core/testing`) checks:
 *
 * - samples are appended in time order; one older than the latest fails with a `StoreError`
 *   and changes nothing; equal times are kept, in the order appended;
 * - a sample with a non-finite number fails with a `StoreError`;
 * - `extremes` follows every append: the peak is the latest sample at the highest equity, the
 *   trough the first sample at the lowest equity since that peak, and `max_drawdown_pct` the
 *   largest `Drawdown.pct(running peak, equity)` over the history (`(peak − equity) / peak ×
 *   100` clamped to [0, 100]; 0 while the running peak is not above zero) — the rules of the
 *   domain's `Drawdown`, which restores itself from these extremes;
 * - `bucketed` and `lastBefore` answer from a rollup of `EquityCurve.ROLLUP_MS` buckets kept on
 *   append and a binary search, as the stores answer from their rollup table and index.
 *
 * @since 0.1.0
 */
import { Effect, Layer, Stream } from "effect"
import * as Drawdown from "../domain/Drawdown.js"
import * as EquityCurve from "../domain/EquityCurve.js"
import type { EquityExtremes, EquitySample } from "../schema/Records.js"
import { EquityHistory, type EquityHistoryService } from "../ports/EquityHistory.js"
import { StoreError, type TimeRange } from "../ports/TradeStore.js"

/**
 * A new, empty equity history.
 *
 * @example
 * const history = yield* MemoryEquityHistory.make
 * yield* history.append({ at: 0, equity: 1000, cash: 1000, unrealized_pnl: 0 })
 */
export const make: Effect.Effect<EquityHistoryService> = Effect.sync(() => {
  const samples: Array<EquitySample> = []
  let extremes: EquityExtremes = { peak: null, trough_since_peak: null, max_drawdown_pct: 0, count: 0 }
  const rollup: Array<EquityCurve.Bucket> = []

  const append = (sample: EquitySample): void => {
    const bad = (["at", "equity", "cash", "unrealized_pnl"] as const).find((k) => !Number.isFinite(sample[k]))
    if (bad !== undefined) {
      throw new StoreError({ operation: "append", reason: `${bad} is not a finite number (${sample[bad]})`, retryable: false })
    }
    const latest = samples[samples.length - 1]
    if (latest !== undefined && sample.at < latest.at) {
      throw new StoreError({
        operation: "append",
        reason: `sample at ${sample.at} is older than the latest at ${latest.at}`,
        retryable: false
      })
    }
    samples.push(sample)
    extremes = Drawdown.advanceExtremes(extremes, sample)
    const start = EquityCurve.bucketStart(sample.at, EquityCurve.ROLLUP_MS)
    const last = rollup[rollup.length - 1]
    if (last !== undefined && last.start === start) rollup[rollup.length - 1] = EquityCurve.mergeSample(last, start, sample.equity)
    else rollup.push(EquityCurve.mergeSample(undefined, start, sample.equity))
  }

  /** The first index whose sample is at or after `at`. */
  const firstAtOrAfter = (at: number): number => {
    let lo = 0
    let hi = samples.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((samples[mid] as EquitySample).at < at) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  const range = (range: TimeRange | undefined): ReadonlyArray<EquitySample> => {
    const start = range?.from === undefined ? 0 : firstAtOrAfter(range.from)
    const end = range?.to === undefined ? samples.length : firstAtOrAfter(range.to)
    const limit = range?.limit
    const count = limit === undefined || limit === Number.POSITIVE_INFINITY ? end - start : Math.max(0, Math.floor(limit) || 0)
    return start >= end ? [] : samples.slice(start, Math.min(end, start + count))
  }

  const bucketed = (r: TimeRange, bucketMs: number): ReadonlyArray<EquityCurve.Bucket> => {
    if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) {
      throw new StoreError({ operation: "bucketed", reason: `bucketMs must be a positive integer (${bucketMs})`, retryable: false })
    }
    const from = r.from === undefined ? undefined : EquityCurve.bucketStart(r.from, bucketMs)
    const to = r.to === undefined ? undefined : EquityCurve.bucketStart(r.to - 1, bucketMs) + bucketMs
    if (from !== undefined && to !== undefined && to <= from) return []
    if (bucketMs % EquityCurve.ROLLUP_MS === 0) {
      const inRange = rollup.filter((b) => (from === undefined || b.start >= from) && (to === undefined || b.start < to))
      return EquityCurve.coarsen(inRange, bucketMs)
    }
    return EquityCurve.bucketize(range({ from, to }), bucketMs)
  }

  const lastBefore = (boundaries: ReadonlyArray<number>): ReadonlyArray<EquityCurve.Point | null> =>
    boundaries.map((boundary) => {
      const s = samples[firstAtOrAfter(boundary) - 1]
      return s === undefined ? null : { at: s.at, equity: s.equity }
    })

  return EquityHistory.of({
    append: (sample) =>
      Effect.try({
        try: () => append(sample),
        catch: (cause) =>
          cause instanceof StoreError
            ? cause
            : new StoreError({ operation: "append", reason: String(cause), retryable: false, cause })
      }),
    range: (r) => Effect.sync(() => range(r)),
    latest: Effect.sync(() => samples[samples.length - 1] ?? null),
    extremes: Effect.sync(() => extremes),
    bucketed: (r, bucketMs) =>
      Effect.try({
        try: () => bucketed(r, bucketMs),
        catch: (cause) => cause instanceof StoreError ? cause : new StoreError({ operation: "bucketed", reason: String(cause), retryable: false, cause })
      }),
    lastBefore: (boundaries) => Effect.sync(() => lastBefore(boundaries)),
    stream: (r) => Stream.suspend(() => Stream.fromIterable(range(r)))
  })
})

/** The in-memory {@link EquityHistory}; each build of the layer starts empty. */
export const layer: Layer.Layer<EquityHistory> = Layer.effect(EquityHistory, make)
