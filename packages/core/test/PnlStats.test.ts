import { describe, expect, it } from "@effect/vitest"
import * as Calendar from "../src/domain/Calendar.js"
import * as PnlStats from "../src/domain/PnlStats.js"
import * as Sum from "../src/domain/Sum.js"
import { ms } from "./arbitraries.js"

const statsIn = (timeZone: string, closes: ReadonlyArray<readonly [string, number]>) => {
  const s = PnlStats.make(Calendar.make(timeZone))
  for (const [iso, pnl] of closes) PnlStats.record(s, { at: ms(iso), realizedPnl: pnl, fees: 0, roundTripPnl: pnl })
  return s
}
const windows = (s: PnlStats.PnlStats, nowIso: string) => {
  const now = ms(nowIso)
  return { today: PnlStats.today(s, now), week: PnlStats.week(s, now), month: PnlStats.month(s, now), total: PnlStats.total(s) }
}

describe("PnlStats", () => {
  describe("calendar windows", () => {
    it("splits days at local midnight in Asia/Kolkata (UTC+05:30)", () => {
      // 18:29:59 UTC on 1 January is 23:59:59 IST; 18:30 UTC is midnight of 2 January IST.
      const closes = [["2025-01-01T18:29:59", 10], ["2025-01-01T18:30:00", 20]] as const
      // At 20:00 UTC (01:30 IST on 2 January) today is only the second close: 20.
      expect(windows(statsIn("Asia/Kolkata", closes), "2025-01-01T20:00:00").today).toBe(20)
      // In UTC both fall on 1 January: 10 + 20 = 30.
      expect(windows(statsIn("UTC", closes), "2025-01-01T20:00:00").today).toBe(30)
    })

    it("follows America/New_York through the 23-hour spring-forward day and the Monday week start", () => {
      const s = statsIn("America/New_York", [
        ["2025-03-09T04:59:00", 1], // Sat 8 March 23:59 EST
        ["2025-03-09T05:00:00", 2], // Sun 9 March 00:00 EST
        ["2025-03-10T03:59:00", 4], // Sun 9 March 23:59 EDT (the day had 23 hours)
        ["2025-03-10T04:00:00", 8] //  Mon 10 March 00:00 EDT: a new day and a new week
      ])
      // On Sunday: today 2 + 4 = 6; the week from Monday 3 March holds 1 + 2 + 4 = 7.
      expect(windows(s, "2025-03-09T12:00:00")).toEqual({ today: 6, week: 7, month: 15, total: 15 })
      // On Monday: today 8, week 8; March holds all: 15.
      expect(windows(s, "2025-03-10T12:00:00")).toEqual({ today: 8, week: 8, month: 15, total: 15 })
    })

    it("follows America/New_York through the 25-hour fall-back day", () => {
      const s = statsIn("America/New_York", [
        ["2025-11-02T03:59:00", 1], // Sat 1 November 23:59 EDT
        ["2025-11-02T04:00:00", 2], // Sun 2 November 00:00 EDT
        ["2025-11-03T04:30:00", 4], // Sun 2 November 23:30 EST (the day had 25 hours)
        ["2025-11-03T05:00:00", 8] //  Mon 3 November 00:00 EST
      ])
      expect(windows(s, "2025-11-02T20:00:00").today).toBe(6) // 2 + 4
      expect(windows(s, "2025-11-03T12:00:00").today).toBe(8)
      // The week from Monday 27 October holds 1 + 2 + 4; November (from the 1st) holds all 15.
      expect(windows(s, "2025-11-02T20:00:00")).toMatchObject({ week: 7, month: 15 })
    })

    it("places month boundaries in the local zone", () => {
      const closes = [
        ["2025-03-15T12:00:00", 100],
        ["2025-04-01T03:30:00", 5], //  31 March 23:30 EDT, 1 April 03:30 UTC
        ["2025-04-01T04:00:00", 7] //   1 April 00:00 EDT
      ] as const
      const ny = statsIn("America/New_York", closes)
      expect(windows(ny, "2025-03-31T12:00:00").month).toBe(105)
      expect(windows(ny, "2025-04-15T12:00:00").month).toBe(7)
      const utc = statsIn("UTC", closes)
      expect(windows(utc, "2025-03-31T12:00:00").month).toBe(100)
      expect(windows(utc, "2025-04-15T12:00:00").month).toBe(12)
    })

    it("keeps a week that spans a year boundary whole, while the months split", () => {
      // The week runs from Monday 30 December 2024 to Sunday 5 January 2025. A window holds every
      // close of its period, so January at the 5th already holds the 6th's close: 4 + 50 = 54.
      const s = statsIn("UTC", [["2024-12-31T10:00:00", 3], ["2025-01-02T10:00:00", 4], ["2025-01-06T00:00:00", 50]])
      expect(windows(s, "2025-01-05T23:59:59")).toEqual({ today: 0, week: 7, month: 54, total: 57 })
      expect(windows(s, "2024-12-31T23:59:59")).toEqual({ today: 3, week: 7, month: 3, total: 57 })
      expect(windows(s, "2025-01-06T00:00:00")).toMatchObject({ today: 50, week: 50, month: 54 })
    })

    it("answers 0 for windows with no closes", () => {
      const s = statsIn("UTC", [["2025-01-02T10:00:00", 4]])
      expect(windows(s, "2026-06-01T00:00:00")).toEqual({ today: 0, week: 0, month: 0, total: 4 })
    })
  })

  describe("trade statistics", () => {
    /** A realization that ends a round trip of that PnL (or, with `trip: null`, one that does not). */
    const record = (s: PnlStats.PnlStats, pnl: number, trip: number | null = pnl, fees = 0) =>
      PnlStats.record(s, { at: ms("2025-01-02T10:00:00"), realizedPnl: pnl, fees, roundTripPnl: trip })

    it("computes win rate, profit factor, best and worst over round trips; a break-even is counted apart", () => {
      const s = PnlStats.make(Calendar.make("UTC"))
      for (const pnl of [200, -50, 100, 0, -30]) record(s, pnl)
      // Wins 200, 100 (0 is a break-even, neither); losses −50, −30. Win rate 2 / 5 = 0.4.
      // Profit factor (200 + 100) / (50 + 30) = 3.75.
      expect(PnlStats.winRate(s)).toBe(0.4)
      expect(PnlStats.profitFactor(s)).toBe(3.75)
      expect([s.closes, s.wins, s.losses, s.breakevens, s.best, s.worst]).toEqual([5, 2, 2, 1, 200, -50])
    })

    it("counts a round trip once, when it ends: partial closes count in the sums at once, in the statistics with it", () => {
      const s = PnlStats.make(Calendar.make("UTC"))
      record(s, -1, null, 1) // opening fee of 1
      record(s, 30, null) // a partial close: +30
      expect([s.closes, PnlStats.total(s)]).toEqual([0, 29])
      record(s, -40, -11) // the last close: −40; the round trip −1 + 30 − 40 = −11, a loss
      expect([s.closes, s.wins, s.losses, s.best, s.worst]).toEqual([1, 0, 1, -11, -11])
      expect(PnlStats.total(s)).toBe(-11)
      // The profit factor is over round trips too: one loss of 11, no profit.
      expect(PnlStats.profitFactor(s)).toBe(0)
    })

    it("reports the no-loss sentinel, 0 without profit, and caps the factor", () => {
      const none = PnlStats.make(Calendar.make("UTC"))
      expect([PnlStats.winRate(none), PnlStats.profitFactor(none), none.best, none.worst]).toEqual([0, 0, 0, 0])
      const onlyWins = PnlStats.make(Calendar.make("UTC"))
      record(onlyWins, 10)
      expect(PnlStats.profitFactor(onlyWins)).toBe(PnlStats.PROFIT_FACTOR_NO_LOSSES)
      const onlyLosses = PnlStats.make(Calendar.make("UTC"))
      record(onlyLosses, -10)
      expect(PnlStats.profitFactor(onlyLosses)).toBe(0)
      const tinyLoss = PnlStats.make(Calendar.make("UTC"))
      record(tinyLoss, 1e9)
      record(tinyLoss, -1e-9)
      expect(PnlStats.profitFactor(tinyLoss)).toBe(PnlStats.PROFIT_FACTOR_NO_LOSSES)
      expect(Number.isFinite(PnlStats.profitFactor(tinyLoss))).toBe(true)
    })

    it("counts a fee outside a close in the sums but not as a trade", () => {
      const s = PnlStats.make(Calendar.make("UTC"))
      record(s, -1.5, null, 1.5) // opening fee
      record(s, 20, 18.5, 0.5) // the close, ending a round trip of −1.5 + 20
      expect([s.closes, s.wins, s.losses, s.best, s.worst]).toEqual([1, 1, 0, 18.5, 18.5])
      expect(PnlStats.total(s)).toBe(18.5)
      expect(Sum.value(s.fees)).toBe(2)
    })

    it("clones independently", () => {
      const s = PnlStats.make(Calendar.make("UTC"))
      record(s, 5)
      const c = PnlStats.clone(s)
      record(c, 7)
      expect([PnlStats.total(s), s.closes]).toEqual([5, 1])
      expect([PnlStats.total(c), c.closes]).toEqual([12, 2])
      expect(PnlStats.today(s, ms("2025-01-02T12:00:00"))).toBe(5)
    })
  })
})
