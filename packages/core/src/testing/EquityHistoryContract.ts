/**
 * The contract every `EquityHistory` implementation passes: appends in time order, ranges,
 * the latest sample, and extremes that always equal a from-scratch computation over the
 * samples (checked by a property test on random sequences).
 *
 * @example
 * equityHistoryContract("MemoryEquityHistory", () => MemoryEquityHistory.layer)
 *
 * @since 0.1.0
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, type Layer, Stream } from "effect"
import * as fc from "fast-check"
import * as EquityCurve from "../domain/EquityCurve.js"
import type { EquityExtremes, EquitySample } from "../schema/Records.js"
import { EquityHistory, type EquityHistoryService } from "../ports/EquityHistory.js"

/** An equity sample whose cash is the equity (no open positions). */
export const equitySample = (at: number, equity: number, unrealized_pnl = 0): EquitySample => ({
  at,
  equity,
  cash: equity - unrealized_pnl,
  unrealized_pnl
})

/**
 * The extremes of a sample sequence computed from scratch, the reference `extremes` is held
 * to: the peak is the last sample at the highest equity, the trough the first sample at the
 * lowest equity from the peak on, and the max drawdown the largest
 * `(running peak − equity) / running peak × 100`, clamped to [0, 100], counted while the
 * running peak is above zero (the rules of the domain's `Drawdown`).
 */
export const extremesFromScratch = (samples: ReadonlyArray<EquitySample>): EquityExtremes => {
  if (samples.length === 0) return { peak: null, trough_since_peak: null, max_drawdown_pct: 0, count: 0 }
  const highest = Math.max(...samples.map((s) => s.equity))
  const peakIndex = samples.map((s) => s.equity).lastIndexOf(highest)
  const sincePeak = samples.slice(peakIndex)
  const lowest = Math.min(...sincePeak.map((s) => s.equity))
  const trough = sincePeak[sincePeak.map((s) => s.equity).indexOf(lowest)] ?? null
  let runningPeak = Number.NEGATIVE_INFINITY
  const drawdowns = samples.map((s) => {
    runningPeak = Math.max(runningPeak, s.equity)
    return runningPeak > 0 ? Math.min(100, Math.max(0, ((runningPeak - s.equity) / runningPeak) * 100)) : 0
  })
  return {
    peak: samples[peakIndex] ?? null,
    trough_since_peak: trough,
    max_drawdown_pct: Math.max(0, ...drawdowns),
    count: samples.length
  }
}

/** Random equity paths: increasing times (with repeats), equities that often tie, some ≤ 0. */
const samplePaths = fc.array(
  fc.record({
    step: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 86_400_000 })),
    equity: fc.oneof(
      fc.double({ min: 0.01, max: 1e9, noNaN: true }),
      fc.constantFrom(100, 150, 50, 1e-3, 0, -20)
    ),
    // `+ 0` turns −0 into 0: SQLite stores −0.0 as the integer 0, and JSON has no −0 either.
    unrealized: fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((x) => x + 0)
  }),
  { maxLength: 60 }
).map((steps) => {
  let at = 1_700_000_000_000
  return steps.map(({ equity, step, unrealized }) => equitySample((at += step), equity, unrealized))
})

/** Options of {@link equityHistoryContract}. */
export interface EquityHistoryContractOptions {
  /** Runs of the property test, each on a fresh history (default 100). */
  readonly propertyRuns?: number
}

/**
 * Registers the equity history contract as a `describe` block named `name`. `makeLayer` is
 * called once per test (and once per property run) and must give a fresh, empty history.
 */
export const equityHistoryContract = <E>(
  name: string,
  makeLayer: () => Layer.Layer<EquityHistory, E>,
  options: EquityHistoryContractOptions = {}
): void => {
  const withHistory = <A>(body: (history: EquityHistoryService) => Effect.Effect<A, unknown>) =>
    Effect.flatMap(EquityHistory, body).pipe(Effect.provide(makeLayer()))

  describe(`${name} (EquityHistory contract)`, () => {
    it.effect("a fresh history is empty", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          expect(yield* history.range()).toEqual([])
          expect(yield* history.latest).toBeNull()
          expect(yield* history.extremes).toEqual({ peak: null, trough_since_peak: null, max_drawdown_pct: 0, count: 0 })
        })
      ))

    it.effect("append keeps samples in time order; equal times are kept in append order", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          const samples = [
            equitySample(1000, 10_000.5, 12.25),
            equitySample(2000, 10_100.125, -0.1 - 0.2),
            equitySample(2000, 10_050),
            equitySample(3000, 9_990.75)
          ]
          for (const sample of samples) yield* history.append(sample)
          expect(yield* history.range()).toEqual(samples)
          expect(yield* history.latest).toEqual(samples[3])
        })
      ))

    it.effect("a sample older than the latest is rejected with StoreError and changes nothing", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          yield* history.append(equitySample(1000, 100))
          yield* history.append(equitySample(2000, 80))
          const before = yield* Effect.all([history.range(), history.latest, history.extremes])
          const error = yield* Effect.flip(history.append(equitySample(1999, 10)))
          expect(error._tag).toBe("StoreError")
          expect(error.retryable).toBe(false)
          expect(yield* Effect.all([history.range(), history.latest, history.extremes])).toEqual(before)
        })
      ))

    it.effect("a sample with a non-finite number is rejected with StoreError", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          expect((yield* Effect.flip(history.append(equitySample(1000, Number.NaN))))._tag).toBe("StoreError")
          expect((yield* Effect.flip(history.append(equitySample(1000, Number.POSITIVE_INFINITY))))._tag).toBe("StoreError")
          expect(yield* history.extremes).toEqual(extremesFromScratch([]))
        })
      ))

    it.effect("range: from inclusive, to exclusive, oldest first, limit", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          for (let i = 1; i <= 6; i++) yield* history.append(equitySample(i * 1000, 100 + i))
          const times = (range?: Parameters<EquityHistoryService["range"]>[0]) =>
            Effect.map(history.range(range), (rows) => rows.map((s) => s.at))
          expect(yield* times({ from: 2000, to: 5000 })).toEqual([2000, 3000, 4000])
          expect(yield* times({ from: 4500 })).toEqual([5000, 6000])
          expect(yield* times({ to: 2000 })).toEqual([1000])
          expect(yield* times({ from: 2000, limit: 2 })).toEqual([2000, 3000])
          expect(yield* times({ limit: 0 })).toEqual([])
          expect(yield* times({ from: 5000, to: 1000 })).toEqual([])
        })
      ))

    it.effect("extremes: peak, trough since the peak, max drawdown", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          const path = [100, 120, 90, 110, 130, 125, 128].map((e, i) => equitySample(i * 10, e))
          for (const sample of path) yield* history.append(sample)
          const extremes = yield* history.extremes
          expect(extremes.peak).toEqual(path[4])
          expect(extremes.trough_since_peak).toEqual(path[5])
          expect(extremes.max_drawdown_pct).toBe(((120 - 90) / 120) * 100)
          expect(extremes.count).toBe(7)
        })
      ))

    it.effect("extremes: the trough is the first lowest sample; a fall to zero or below is a 100 % drawdown", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          const path = [100, 60, 60, 90].map((e, i) => equitySample(i, e))
          for (const sample of path) yield* history.append(sample)
          expect(yield* history.extremes).toEqual({ peak: path[0], trough_since_peak: path[1], max_drawdown_pct: 40, count: 4 })
          yield* history.append(equitySample(10, -25))
          expect((yield* history.extremes).max_drawdown_pct).toBe(100)
        })
      ))

    it.effect("extremes: equity that never fell has no drawdown and its trough is its peak", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          for (const [i, e] of [100, 100, 101, 150].entries()) yield* history.append(equitySample(i, e))
          expect(yield* history.extremes).toEqual({
            peak: equitySample(3, 150),
            trough_since_peak: equitySample(3, 150),
            max_drawdown_pct: 0,
            count: 4
          })
        })
      ))

    it.effect("bucketed: OHLC per epoch-aligned bucket, the range widened to whole buckets; lastBefore: the last sample before each boundary", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          const M = EquityCurve.ROLLUP_MS
          const path: Array<EquitySample> = [
            equitySample(M - 1, 100),
            equitySample(M, 110),
            equitySample(M + 5, 90),
            equitySample(M + 5, 95),
            equitySample(2 * M + 1, 120),
            equitySample(5 * M, 80)
          ]
          for (const sample of path) yield* history.append(sample)
          expect(yield* history.bucketed({}, 2 * M)).toEqual([
            { start: 0, open: 100, high: 110, low: 90, close: 95, count: 4 },
            { start: 2 * M, open: 120, high: 120, low: 120, close: 120, count: 1 },
            { start: 4 * M, open: 80, high: 80, low: 80, close: 80, count: 1 }
          ])
          // Not a multiple of the rollup: from the samples. `from` inside a bucket takes all of it.
          expect(yield* history.bucketed({ from: M + 3, to: M + 4 }, 10)).toEqual([
            { start: M, open: 110, high: 110, low: 90, close: 95, count: 3 }
          ])
          expect(yield* history.bucketed({ from: M + 6, to: M + 7 }, 2)).toEqual([])
          expect(yield* history.bucketed({ from: M + 1, to: 2 * M + 2 }, M)).toEqual([
            { start: M, open: 110, high: 110, low: 90, close: 95, count: 3 },
            { start: 2 * M, open: 120, high: 120, low: 120, close: 120, count: 1 }
          ])
          expect(yield* history.bucketed({ from: 3 * M, to: 3 * M }, M)).toEqual([])
          expect((yield* Effect.flip(history.bucketed({}, 0)))._tag).toBe("StoreError")
          expect(yield* history.lastBefore([0, M - 1, M, M + 5, M + 6, 10 * M])).toEqual([
            null,
            null,
            { at: M - 1, equity: 100 },
            { at: M, equity: 110 },
            { at: M + 5, equity: 95 },
            { at: 5 * M, equity: 80 }
          ])
        })
      ))

    it.effect("bucketed and lastBefore equal a from-scratch computation over random sample sequences", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(
            samplePaths,
            fc.constantFrom(60_000, EquityCurve.ROLLUP_MS, 4 * EquityCurve.ROLLUP_MS, 86_400_000),
            fc.integer({ min: 0, max: 3 * 86_400_000 }),
            (samples, bucketMs, offset) =>
              Effect.runPromise(withHistory((history) =>
                Effect.gen(function*() {
                  for (const sample of samples) yield* history.append(sample)
                  const from = 1_700_000_000_000 + offset
                  const to = from + 86_400_000
                  const wide = samples.filter((s) =>
                    s.at >= EquityCurve.bucketStart(from, bucketMs) && s.at < EquityCurve.bucketStart(to - 1, bucketMs) + bucketMs
                  )
                  expect(yield* history.bucketed({ from, to }, bucketMs)).toEqual(EquityCurve.bucketize(wide, bucketMs))
                  expect(yield* history.bucketed({}, bucketMs)).toEqual(EquityCurve.bucketize(samples, bucketMs))
                  const boundaries = [from, to, ...samples.slice(0, 5).map((s) => s.at)]
                  const expected = boundaries.map((b) => {
                    const s = samples.filter((x) => x.at < b).at(-1)
                    return s === undefined ? null : { at: s.at, equity: s.equity }
                  })
                  expect(yield* history.lastBefore(boundaries)).toEqual(expected)
                })
              ))
          ),
          { numRuns: Math.max(10, Math.floor((options.propertyRuns ?? 100) / 2)) }
        )
      ))

    it.effect("stream gives what range gives, across pages and equal times", () =>
      withHistory((history) =>
        Effect.gen(function*() {
          // More samples than a page (Paging.DEFAULT_PAGE_SIZE), 300 at each time: the page
          // boundary falls inside a run of equal times.
          const samples = Array.from({ length: 2_100 }, (_, i) => equitySample(10_000 + Math.floor(i / 300), 1_000 + i))
          for (const sample of samples) yield* history.append(sample)
          for (const range of [undefined, { from: 10_001, to: 10_005 }, { from: 10_002 }, { to: 10_001 }, { limit: 2_050 }, { from: 20_000 }]) {
            const streamed = Chunk.toReadonlyArray(yield* Stream.runCollect(history.stream(range)))
            expect(streamed, JSON.stringify(range)).toEqual(yield* history.range(range))
          }
          expect(Chunk.size(yield* Stream.runCollect(history.stream()))).toBe(samples.length)
        })
      ))

    it.effect("extremes equal a from-scratch computation over random sample sequences", () =>
      Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(samplePaths, (samples) =>
            Effect.runPromise(withHistory((history) =>
              Effect.gen(function*() {
                for (const sample of samples) yield* history.append(sample)
                expect(yield* history.extremes).toEqual(extremesFromScratch(samples))
                expect(yield* history.range()).toEqual(samples)
              })
            ))
          ),
          { numRuns: options.propertyRuns ?? 100 }
        )
      ))
  })
}
