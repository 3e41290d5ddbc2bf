import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Calendar from "../src/domain/Calendar.js"
import * as DrawdownHistory from "../src/domain/DrawdownHistory.js"
import * as EquityCurve from "../src/domain/EquityCurve.js"

const ms = (iso: string) => Date.parse(`${iso}Z`)
const H = 3_600_000

/** Time-ordered points: steps of 0 to 3 hours, equities that tie and fall to zero at times. */
const points = fc
  .array(
    fc.record({
      step: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 * H })),
      equity: fc.oneof(fc.double({ min: 0.01, max: 1e6, noNaN: true }), fc.constantFrom(100, 50, 0))
    }),
    { maxLength: 80 }
  )
  .map((steps) => {
    let at = ms("2025-03-29T00:00:00")
    return steps.map(({ equity, step }) => ({ at: (at += step), equity }))
  })

describe("EquityCurve: daily closes in a zone", () => {
  it("the close of a local day is its last sample; a day without one keeps the previous close", () => {
    const utc = Calendar.make("UTC")
    const samples = [
      { at: ms("2025-01-01T08:00:00"), equity: 100 },
      { at: ms("2025-01-01T23:59:59.999"), equity: 101 },
      { at: ms("2025-01-03T00:00:00"), equity: 90 },
      { at: ms("2025-01-03T12:00:00"), equity: 95 }
    ]
    expect(EquityCurve.dailyCloses(samples, utc).map((c) => [Calendar.formatDay(c.day), c.equity])).toEqual([
      ["2025-01-01", 101],
      ["2025-01-02", 101],
      ["2025-01-03", 95]
    ])
    const closes = EquityCurve.dailyCloses(samples, utc)
    expect(EquityCurve.dailyReturns(100, closes)).toEqual([101 / 100 - 1, 0, 95 / 101 - 1])
  })

  it("the same instants close different days in Asia/Kolkata (UTC+05:30)", () => {
    const kolkata = Calendar.make("Asia/Kolkata")
    const samples = [
      { at: ms("2025-01-01T18:29:59"), equity: 1 },
      { at: ms("2025-01-01T18:30:00"), equity: 2 }
    ]
    expect(EquityCurve.dailyCloses(samples, kolkata).map((c) => [Calendar.formatDay(c.day), c.equity])).toEqual([
      ["2025-01-01", 1],
      ["2025-01-02", 2]
    ])
  })

  it("a day starts at its first instant, across DST changes and in half- and quarter-hour zones", () => {
    for (const zone of ["UTC", "Europe/Oslo", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "America/Santiago", "Australia/Lord_Howe"]) {
      const cal = Calendar.make(zone)
      const first = Calendar.dayKey(cal, ms("2025-01-01T12:00:00"))
      for (let d = first; d < first + 366; d++) {
        const start = EquityCurve.dayStart(cal, d)
        expect(Calendar.dayKey(cal, start)).toBe(d)
        expect(Calendar.dayKey(cal, start - 1)).toBe(d - 1)
      }
    }
  })

  it("closes from 'last sample before each day end' equal the closes from the samples", () => {
    const oslo = Calendar.make("Europe/Oslo")
    fc.assert(
      fc.property(points, (samples) => {
        fc.pre(samples.length > 0)
        const expected = EquityCurve.dailyCloses(samples, oslo)
        const fromDay = Calendar.dayKey(oslo, samples[0]!.at)
        const toDay = Calendar.dayKey(oslo, samples[samples.length - 1]!.at)
        const lastBefore = EquityCurve.dayEnds(oslo, fromDay, toDay).map((end) => samples.filter((s) => s.at < end).at(-1) ?? null)
        expect(EquityCurve.closesFromLastBefore(fromDay, lastBefore)).toEqual(expected)
      })
    )
  })
})

describe("EquityCurve: buckets", () => {
  it("open, high, low, close and count per epoch-aligned bucket", () => {
    const samples = [
      { at: 0, equity: 10 },
      { at: 59_999, equity: 12 },
      { at: 60_000, equity: 8 },
      { at: 61_000, equity: 7 },
      { at: 100_000, equity: 9 },
      { at: 240_000, equity: 11 }
    ]
    expect(EquityCurve.bucketize(samples, 60_000)).toEqual([
      { start: 0, open: 10, high: 12, low: 10, close: 12, count: 2 },
      { start: 60_000, open: 8, high: 9, low: 7, close: 9, count: 3 },
      { start: 240_000, open: 11, high: 11, low: 11, close: 11, count: 1 }
    ])
  })

  it("high and low bound every sample of their bucket; open and close are its first and last", () => {
    fc.assert(
      fc.property(points, fc.constantFrom(60_000, EquityCurve.ROLLUP_MS, H, Calendar.DAY), (samples, size) => {
        const buckets = EquityCurve.bucketize(samples, size)
        expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(samples.length)
        for (const b of buckets) {
          const inside = samples.filter((s) => s.at >= b.start && s.at < b.start + size)
          expect(inside.length).toBe(b.count)
          for (const s of inside) expect(s.equity >= b.low && s.equity <= b.high).toBe(true)
          expect(b.open).toBe(inside[0]!.equity)
          expect(b.close).toBe(inside.at(-1)!.equity)
        }
      })
    )
  })

  it("fine buckets merged into coarse ones (a rollup, kept incrementally) equal buckets from scratch", () => {
    fc.assert(
      fc.property(points, fc.constantFrom(EquityCurve.ROLLUP_MS * 2, H, 4 * H, Calendar.DAY), (samples, size) => {
        // The rollup as an adapter keeps it: one mergeSample per appended sample.
        const rollup = new Map<number, EquityCurve.Bucket>()
        for (const s of samples) {
          const start = EquityCurve.bucketStart(s.at, EquityCurve.ROLLUP_MS)
          rollup.set(start, EquityCurve.mergeSample(rollup.get(start), start, s.equity))
        }
        expect(EquityCurve.coarsen(rollup.values(), size)).toEqual(EquityCurve.bucketize(samples, size))
      })
    )
  })

  it("a bucket size keeps any range within 2 000 buckets and honours a coarser request", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 1, max: 3e11 }), fc.integer({ min: 0, max: 10 * Calendar.DAY }), (from, span, requested) => {
        const size = EquityCurve.bucketSizeFor(from, from + span, requested)
        expect(EquityCurve.bucketCount(from, from + span, size)).toBeLessThanOrEqual(EquityCurve.MAX_BUCKETS)
        expect(size).toBeGreaterThanOrEqual(requested)
      })
    )
    expect(EquityCurve.bucketSizeFor(0, 365 * Calendar.DAY)).toBe(6 * H)
    expect(EquityCurve.bucketSizeFor(0, Calendar.DAY)).toBe(60_000)
    expect(EquityCurve.bucketSizeFor(0, Calendar.DAY, H)).toBe(H)
  })
})

describe("DrawdownHistory", () => {
  const curve = [100, 120, 90, 110, 125, 100, 125, 130, 100].map((equity, i) => ({ at: i * 1000, equity }))

  it("the underwater curve is equity over its running peak, minus 1", () => {
    expect(DrawdownHistory.underwater(curve).map((p) => p.drawdown)).toEqual([0, 0, 90 / 120 - 1, 110 / 120 - 1, 0, 100 / 125 - 1, 0, 0, 100 / 130 - 1])
  })

  it("the worst drawdowns with peak, trough, recovery, depth and length; an open one has no recovery", () => {
    expect(DrawdownHistory.worst(curve, 2)).toEqual([
      { peakAt: 1000, peakEquity: 120, troughAt: 2000, troughEquity: 90, recoveryAt: 4000, depth: 90 / 120 - 1, lengthMs: 3000 },
      { peakAt: 7000, peakEquity: 130, troughAt: 8000, troughEquity: 100, recoveryAt: null, depth: 100 / 130 - 1, lengthMs: 1000 }
    ])
    expect(DrawdownHistory.periods(curve)).toHaveLength(3)
  })

  it("the starting equity is the first peak (a curve that only falls has one drawdown from its start)", () => {
    const falling = [100, 60, 54].map((equity, i) => ({ at: i, equity }))
    expect(DrawdownHistory.maxDrawdown(falling)).toBeCloseTo(-0.46, 15)
    expect(DrawdownHistory.worst(falling, 5)).toEqual([
      { peakAt: 0, peakEquity: 100, troughAt: 2, troughEquity: 54, recoveryAt: null, depth: 54 / 100 - 1, lengthMs: 2 }
    ])
  })

  it("max drawdown equals the brute-force O(n²) answer, is ≤ 0, and is the deepest period's depth", () => {
    fc.assert(
      fc.property(points, (samples) => {
        let brute = 0
        for (let i = 0; i < samples.length; i++) {
          for (let j = i; j < samples.length; j++) brute = Math.min(brute, DrawdownHistory.depthOf(samples[i]!.equity, samples[j]!.equity))
        }
        const max = DrawdownHistory.maxDrawdown(samples)
        expect(max).toBe(brute)
        expect(max).toBeLessThanOrEqual(0)
        expect(Math.min(0, ...DrawdownHistory.periods(samples).map((p) => p.depth))).toBe(max)
        expect(Math.min(0, ...DrawdownHistory.underwater(samples).map((p) => p.drawdown))).toBe(max)
      })
    )
  })
})
