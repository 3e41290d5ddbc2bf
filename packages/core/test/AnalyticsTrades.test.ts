import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Calendar from "../src/domain/Calendar.js"
import * as RiskBuckets from "../src/domain/RiskBuckets.js"
import * as TradeAnalytics from "../src/domain/TradeAnalytics.js"
import * as TradeBreakdown from "../src/domain/TradeBreakdown.js"

const ms = (iso: string) => Date.parse(`${iso}Z`)
const expectRel = (actual: number | null, expected: number, rel = 1e-12) => {
  expect(actual).not.toBeNull()
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.abs(expected))
}

describe("TradeAnalytics against Freqtrade's published vector (tests/data/test_metrics.py, calculate_expectancy)", () => {
  const pnls = [100, 200, 50, -150, 300, -100, 80, -30]
  const s = TradeAnalytics.statistics(pnls)

  it("expectancy 56.25 and expectancy ratio 0.60267857", () => {
    expectRel(s.expectancy, 56.25)
    // Freqtrade publishes 8 digits: (1 + 146 / (280 / 3)) × 5/8 − 1 = 0.6026785714…
    expect(Math.abs(s.expectancyRatio! - 0.60267857)).toBeLessThan(5e-9)
    expectRel(s.expectancyRatio, (1 + 146 / (280 / 3)) * (5 / 8) - 1)
  })

  it("average win and loss, payoff ratio, Kelly W − (1 − W) / R, streaks", () => {
    expect(s.averageWin).toBe(146)
    expectRel(s.averageLoss, 280 / 3)
    expectRel(s.payoffRatio, 146 / (280 / 3))
    expectRel(s.kelly, 5 / 8 - 3 / 8 / (146 / (280 / 3)))
    expect(s.longestWinStreak).toBe(3)
    expect(s.longestLossStreak).toBe(1)
    expect([s.trades, s.wins, s.losses, s.breakevens, s.total]).toEqual([8, 5, 3, 0, 450])
  })

  it("undefined figures are null: no trades; no losses for the ratios; no wins for Kelly", () => {
    const none = TradeAnalytics.statistics([])
    expect([none.winRate, none.expectancy, none.expectancyRatio, none.payoffRatio, none.kelly]).toEqual([null, null, null, null, null])
    const allWins = TradeAnalytics.statistics([1, 2])
    expect(allWins.expectancy).toBe(1.5)
    expect([allWins.payoffRatio, allWins.expectancyRatio, allWins.kelly, allWins.averageLoss]).toEqual([null, null, null, null])
    const allLosses = TradeAnalytics.statistics([-1, 0, -2, -3])
    expect(allLosses.payoffRatio).toBe(0)
    expect(allLosses.kelly).toBeNull()
    expect(allLosses.longestLossStreak).toBe(2) // the break-even ends the first run
    expect(allLosses.breakevens).toBe(1)
  })

  it("expectancy equals the mean round-trip PnL (Freqtrade's definition reduces to it)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 50 }), (pnls) => {
        const s = TradeAnalytics.statistics(pnls)
        const mean = pnls.reduce((a, b) => a + b, 0) / pnls.length
        expect(Math.abs(s.expectancy! - mean)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(mean)))
        expect(s.longestWinStreak + s.longestLossStreak).toBeLessThanOrEqual(pnls.length)
      })
    )
  })
})

const close = (iso: string, realized_pnl: number, round_trip_pnl: number | null, symbol = "BTCUSDT"): TradeBreakdown.Close => ({
  symbol,
  closed_at: ms(iso),
  realized_pnl,
  round_trip_pnl
})

describe("TradeBreakdown", () => {
  const utc = Calendar.make("UTC")
  const closes = [
    close("2025-03-03T10:00:00", 10, null), // Monday, a partial close
    close("2025-03-03T11:30:00", 5, 15),
    close("2025-03-05T23:30:00", -4, -4, "ETHUSDT"),
    close("2025-03-17T01:00:00", 2, 2, "SOLUSDT")
  ]

  it("per day: every close's PnL, round trips and win rate, zero-filled", () => {
    const days = TradeBreakdown.periods(closes, utc, "day")
    expect(days).toHaveLength(15)
    expect(days[0]).toEqual({ start: "2025-03-03", pnl: 15, trades: 1, wins: 1, winRate: 1 })
    expect(days[1]).toEqual({ start: "2025-03-04", pnl: 0, trades: 0, wins: 0, winRate: null })
    expect(days[2]).toEqual({ start: "2025-03-05", pnl: -4, trades: 1, wins: 0, winRate: 0 })
  })

  it("per week (from Monday) and per month, in the zone", () => {
    expect(TradeBreakdown.periods(closes, utc, "week").map((w) => [w.start, w.pnl, w.trades])).toEqual([
      ["2025-03-03", 11, 2],
      ["2025-03-10", 0, 0],
      ["2025-03-17", 2, 1]
    ])
    // In Asia/Tokyo (UTC+9) the Wednesday 23:30 UTC close falls on Thursday, and in March still.
    const tokyo = Calendar.make("Asia/Tokyo")
    expect(TradeBreakdown.periods([close("2025-02-28T16:00:00", 1, 1)], tokyo, "month")[0]!.start).toBe("2025-03-01")
    expect(TradeBreakdown.periods(closes, utc, "month")).toEqual([{ start: "2025-03-01", pnl: 13, trades: 3, wins: 2, winRate: 2 / 3 }])
  })

  it("the last N periods end with the current one, zero-filled, closes outside left out", () => {
    const now = ms("2025-03-18T09:00:00")
    expect(TradeBreakdown.periods(closes, utc, "day", { last: 3, now }).map((d) => [d.start, d.pnl])).toEqual([
      ["2025-03-16", 0],
      ["2025-03-17", 2],
      ["2025-03-18", 0]
    ])
    expect(TradeBreakdown.periods(closes, utc, "week", { last: 3, now }).map((w) => [w.start, w.pnl])).toEqual([
      ["2025-03-03", 11],
      ["2025-03-10", 0],
      ["2025-03-17", 2]
    ])
    expect(TradeBreakdown.periods([], utc, "month", { last: 2, now }).map((m) => m.start)).toEqual(["2025-02-01", "2025-03-01"])
    // Where each period starts, in the zone: Oslo's March 2025 starts at 23:00 UTC on 28 February.
    const oslo = Calendar.make("Europe/Oslo")
    expect(TradeBreakdown.periodStart(oslo, "month", now, 0)).toBe(ms("2025-02-28T23:00:00"))
    expect(TradeBreakdown.periodStart(oslo, "week", now, 1)).toBe(ms("2025-03-09T23:00:00"))
    expect(TradeBreakdown.periodStart(utc, "day", now, 2)).toBe(ms("2025-03-16T00:00:00"))
  })

  it("lastPeriods: each period's instants are periodStart's, in zones whose changes skip or repeat midnight", () => {
    for (const zone of ["Europe/Oslo", "America/Havana", "Asia/Beirut", "America/Santiago", "Asia/Kathmandu", "UTC"]) {
      const calendar = Calendar.make(zone)
      for (const unit of ["day", "week", "month"] as const) {
        const now = Date.UTC(2026, 0, 1, 13)
        const periods = TradeBreakdown.lastPeriods(calendar, unit, now, 400)
        expect(periods.map((p) => [p.from, p.to]), `${zone} ${unit}`).toEqual(
          periods.map((_, i) => [TradeBreakdown.periodStart(calendar, unit, now, 399 - i), TradeBreakdown.periodStart(calendar, unit, now, 398 - i)])
        )
        expect(periods.at(-1)!.start).toBe(TradeBreakdown.periods([], calendar, unit, { last: 1, now })[0]!.start)
      }
    }
  })

  it("weekday × hour and symbol × month heatmaps", () => {
    expect(TradeBreakdown.weekdayHour(closes, utc).map((c) => [c.row, c.column, c.pnl])).toEqual([
      ["Mon", "01", 2],
      ["Mon", "10", 10],
      ["Mon", "11", 5],
      ["Wed", "23", -4]
    ])
    const tokyo = Calendar.make("Asia/Tokyo")
    expect(TradeBreakdown.weekdayHour([closes[2]!], tokyo).map((c) => [c.row, c.column])).toEqual([["Thu", "08"]])
    expect(TradeBreakdown.symbolMonth(closes, utc).map((c) => [c.row, c.column, c.pnl, c.trades])).toEqual([
      ["BTCUSDT", "2025-03", 15, 1],
      ["ETHUSDT", "2025-03", -4, 1],
      ["SOLUSDT", "2025-03", 2, 1]
    ])
  })

  it("performance per symbol and per sector, largest PnL first", () => {
    expect(TradeBreakdown.performance(closes).map((c) => [c.key, c.pnl])).toEqual([["BTCUSDT", 15], ["SOLUSDT", 2], ["ETHUSDT", -4]])
    const sector = (s: string) => (s.startsWith("BTC") ? "BTC" : "ALT")
    expect(TradeBreakdown.performance(closes, sector).map((c) => [c.key, c.pnl, c.trades])).toEqual([["BTC", 15, 1], ["ALT", -2, 2]])
  })

  it("the periods' PnL sums to the total, without drift", () => {
    const many = Array.from({ length: 10_000 }, () => close("2025-01-01T00:00:00", 0.1, null)).map((c, i) => ({ ...c, closed_at: c.closed_at + i * 3_600_000 }))
    const total = TradeBreakdown.periods(many, utc, "month").reduce((s, p) => s + p.pnl, 0)
    expect(Math.abs(total - 1000)).toBeLessThan(1e-9)
  })
})

describe("RiskBuckets", () => {
  it("unknown symbols are EXPANSION; exposure, share of equity, PnL per bucket; every bucket reported", () => {
    const categories = { BTCUSDT: "CORE", DOGEUSDT: "TOXIC" } as const
    const buckets = RiskBuckets.buckets(
      [
        { symbol: "BTCUSDT", exposure: 5000, unrealizedPnl: 50 },
        { symbol: "SOLUSDT", exposure: 1000, unrealizedPnl: -10 },
        { symbol: "BTCUSDT", exposure: 1000, unrealizedPnl: 5 }
      ],
      new Map([["DOGEUSDT", -30], ["BTCUSDT", 12]]),
      10_000,
      (s) => RiskBuckets.categoryOf(categories, s)
    )
    expect(buckets).toEqual([
      { category: "CORE", exposure: 6000, sharePct: 60, unrealizedPnl: 55, realizedPnl: 12, symbols: ["BTCUSDT"] },
      { category: "EXPANSION", exposure: 1000, sharePct: 10, unrealizedPnl: -10, realizedPnl: 0, symbols: ["SOLUSDT"] },
      { category: "MONITORING", exposure: 0, sharePct: 0, unrealizedPnl: 0, realizedPnl: 0, symbols: [] },
      { category: "TOXIC", exposure: 0, sharePct: 0, unrealizedPnl: 0, realizedPnl: -30, symbols: ["DOGEUSDT"] }
    ])
  })
  it("share of equity is null when equity is not positive", () => {
    expect(RiskBuckets.buckets([], new Map(), 0, () => "CORE")[0]!.sharePct).toBeNull()
  })
})
