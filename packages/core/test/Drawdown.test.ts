import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Calendar from "../src/domain/Calendar.js"
import * as Drawdown from "../src/domain/Drawdown.js"
import type { EquityExtremes, EquitySample } from "../src/schema/Records.js"
import { ms } from "./arbitraries.js"

const HOUR = 3_600_000
const DAY = Calendar.DAY
const utc = Calendar.make("UTC")

const recorded = (calendar: Calendar.Calendar, points: ReadonlyArray<readonly [number, number]>) => {
  const d = Drawdown.make(calendar)
  for (const [at, equity] of points) Drawdown.record(d, { at, equity })
  return d
}

describe("Drawdown", () => {
  const T = ms("2025-03-07T00:00:00")

  it("measures the daily drawdown from the day's peak and resets it at the day boundary", () => {
    const d = recorded(utc, [[T + HOUR, 10_000], [T + 2 * HOUR, 11_000]])
    // (11 000 − 10 450) / 11 000 × 100 = 5 %.
    expect(Drawdown.metrics(d, T + 3 * HOUR, 10_450).dailyDrawdownPct).toBeCloseTo(5, 12)
    Drawdown.record(d, { at: T + 3 * HOUR, equity: 10_450 })
    // Next day: the first sample is the day's peak again.
    Drawdown.record(d, { at: T + DAY + HOUR, equity: 10_450 })
    expect(Drawdown.metrics(d, T + DAY + HOUR, 10_450).dailyDrawdownPct).toBe(0)
    // (10 450 − 9 405) / 10 450 × 100 = 10 %.
    expect(Drawdown.metrics(d, T + DAY + 2 * HOUR, 9_405).dailyDrawdownPct).toBeCloseTo(10, 12)
    // A new day with no sample yet: the current equity is the day's peak.
    expect(Drawdown.metrics(d, T + 2 * DAY + HOUR, 9_000)).toMatchObject({ dailyDrawdownPct: 0, peakEquityToday: 9_000 })
  })

  it("resets the day's peak at local midnight of the configured zone", () => {
    // 18:29 UTC is 23:59 in Kolkata; 18:31 UTC is 00:01 of the next day there.
    const points = [[ms("2025-01-01T18:29:00"), 11_000]] as const
    const at = ms("2025-01-01T18:31:00")
    expect(Drawdown.metrics(recorded(Calendar.make("Asia/Kolkata"), points), at, 10_000).dailyDrawdownPct).toBe(0)
    // In UTC both are on 1 January: (11 000 − 10 000) / 11 000 × 100 = 9.09… %.
    expect(Drawdown.metrics(recorded(utc, points), at, 10_000).dailyDrawdownPct).toBeCloseTo(100 / 11, 12)
  })

  it("measures the weekly drawdown against the highest equity of the last 7 days (rolling)", () => {
    const d = recorded(utc, [[T, 12_000], [T + DAY, 11_000], [T + 3 * DAY, 10_000]])
    // Within 7 days of T the peak is 12 000: (12 000 − 9 000) / 12 000 × 100 = 25 %.
    expect(Drawdown.metrics(d, T + 7 * DAY - 1, 9_000).weeklyDrawdownPct).toBeCloseTo(25, 12)
    // At T + 7 days the 12 000 sample leaves the window; 11 000 is the peak: 2 000 / 11 000 = 18.18… %.
    expect(Drawdown.metrics(d, T + 7 * DAY, 9_000).weeklyDrawdownPct).toBeCloseTo(200 / 11, 12)
    Drawdown.record(d, { at: T + 8 * DAY + 1, equity: 9_000 })
    // At T + 8 days + 1 ms only 10 000 (T + 3 days) and 9 000 are in the window: 10 %.
    expect(Drawdown.metrics(d, T + 8 * DAY + 1, 9_000).weeklyDrawdownPct).toBeCloseTo(10, 12)
    // Max drawdown remembers the whole history: (12 000 − 9 000) / 12 000 = 25 %.
    expect(Drawdown.metrics(d, T + 8 * DAY + 1, 9_000).maxDrawdownPct).toBeCloseTo(25, 12)
  })

  it("keeps the largest peak-to-trough drop, days since the peak and the recovery", () => {
    const d = recorded(utc, [[T, 10_000], [T + HOUR, 8_000], [T + 2 * HOUR, 12_000], [T + 3 * HOUR, 10_800], [T + 4 * HOUR, 9_600]])
    // Drops: 10 000 → 8 000 is 20 %; 12 000 → 9 600 is 20 % too; 12 000 → 10 800 was 10 %.
    const m = Drawdown.metrics(d, T + 2 * HOUR + 2.5 * DAY, 10_800)
    expect(m.maxDrawdownPct).toBeCloseTo(20, 12)
    expect(m.peakEquity).toBe(12_000)
    expect(m.troughEquity).toBe(9_600)
    expect(m.daysSincePeak).toBe(2) // whole days (the original's model has an integer): 2.5 → 2
    expect(m.peakAt).toBe(T + 2 * HOUR)
    // (10 800 − 9 600) / (12 000 − 9 600) × 100 = 50 %.
    expect(m.recoveryProgressPct).toBeCloseTo(50, 12)
    // A new high is a peak: 0 days since it, recovery 100, no current drawdown.
    const high = Drawdown.metrics(d, T + 3 * DAY, 12_500)
    expect(high).toMatchObject({ peakEquity: 12_500, daysSincePeak: 0, recoveryProgressPct: 100, weeklyDrawdownPct: 0 })
  })

  it("clamps percentages to [0, 100] and gives 0 against a peak that is not positive", () => {
    expect(Drawdown.pct(100, -50)).toBe(100)
    expect(Drawdown.pct(100, 120)).toBe(0)
    expect(Drawdown.pct(0, -5)).toBe(0)
    expect(Drawdown.pct(-10, -20)).toBe(0)
    const d = recorded(utc, [[T, 1_000], [T + HOUR, -500]])
    const m = Drawdown.metrics(d, T + HOUR, -500)
    expect([m.dailyDrawdownPct, m.weeklyDrawdownPct, m.maxDrawdownPct]).toEqual([100, 100, 100])
  })

  it("answers sensible figures before any sample", () => {
    const m = Drawdown.metrics(Drawdown.make(utc), T, 10_000)
    expect(m).toEqual({
      dailyDrawdownPct: 0,
      weeklyDrawdownPct: 0,
      maxDrawdownPct: 0,
      peakEquity: 10_000,
      currentEquity: 10_000,
      troughEquity: 10_000,
      peakEquityToday: 10_000,
      daysSincePeak: 0,
      peakAt: T,
      recoveryProgressPct: 100
    })
  })

  it("clones independently", () => {
    const d = recorded(utc, [[T, 10_000]])
    const c = Drawdown.clone(d)
    Drawdown.record(c, { at: T + HOUR, equity: 5_000 })
    expect(Drawdown.metrics(d, T + HOUR, 10_000).maxDrawdownPct).toBe(0)
    expect(Drawdown.metrics(c, T + HOUR, 5_000).maxDrawdownPct).toBe(50)
  })

  it("restores from the history's extremes and its last 7 days to what recording everything gives", () => {
    const sample = (at: number, equity: number): EquitySample => ({ at, equity, cash: equity, unrealized_pnl: 0 })
    /** The extremes computed the way a store keeps them: peak (latest of equals), lowest since, largest drop. */
    const extremesOf = (samples: ReadonlyArray<EquitySample>): EquityExtremes => {
      let peak: EquitySample | null = null
      let trough: EquitySample | null = null
      let max = 0
      for (const s of samples) {
        if (peak === null || s.equity >= peak.equity) {
          peak = s
          trough = s
        } else {
          if (s.equity < trough!.equity) trough = s
          max = Math.max(max, Drawdown.pct(peak.equity, s.equity))
        }
      }
      return { peak, trough_since_peak: trough, max_drawdown_pct: max, count: samples.length }
    }
    const calendar = Calendar.make("America/New_York")
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 18 * HOUR }), fc.integer({ min: 5_000, max: 15_000 })), { minLength: 1, maxLength: 120 }),
        fc.integer({ min: 0, max: 2 * DAY }),
        fc.integer({ min: 4_000, max: 16_000 }),
        fc.integer({ min: 0, max: 3 * DAY }),
        (steps, later, equityNow, extra) => {
          let at = T
          const samples = steps.map(([dt, equity]) => sample((at += dt), equity))
          const last = samples[samples.length - 1]!.at
          const all = recorded(calendar, samples.map((s) => [s.at, s.equity] as const))
          // The store hands back at least the last 7 days (here 7 days plus `extra`).
          const recent = samples.filter((s) => s.at > last - 7 * DAY - extra)
          const restored = Drawdown.restore(calendar, extremesOf(samples), recent)
          const now = last + later
          expect(Drawdown.metrics(restored, now, equityNow)).toEqual(Drawdown.metrics(all, now, equityNow))
          expect(restored.count).toBe(all.count)
        }
      ),
      { numRuns: 300 }
    )
  })
})
