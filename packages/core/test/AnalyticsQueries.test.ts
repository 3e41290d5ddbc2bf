import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock, TestContext } from "effect"
import fc from "fast-check"
import * as Analytics from "../src/domain/Analytics.js"
import * as Calendar from "../src/domain/Calendar.js"
import * as EquityCurve from "../src/domain/EquityCurve.js"
import * as TradeAnalytics from "../src/domain/TradeAnalytics.js"
import * as TradeBreakdown from "../src/domain/TradeBreakdown.js"
import * as MemoryEquityHistory from "../src/memory/MemoryEquityHistory.js"
import * as MemoryTradeStore from "../src/memory/MemoryTradeStore.js"
import { CashUnavailable } from "../src/ports/AccountBalance.js"
import * as AnalyticsQueries from "../src/service/AnalyticsQueries.js"
import { closedTradeRecord, equitySample, storeBatch } from "../src/testing/index.js"
import type { ClosedTradeRecord } from "../src/schema/Records.js"

const DAY = Calendar.DAY
const START = Date.UTC(2025, 2, 20, 7, 0, 0) // spans the change to summer time in Europe/Oslo (30 March)

const queries = (timeZone = "UTC") =>
  Effect.gen(function*() {
    const history = yield* MemoryEquityHistory.make
    const store = yield* MemoryTradeStore.make
    const q = AnalyticsQueries.make({
      options: { timeZone },
      store,
      history,
      snapshot: Effect.fail(new CashUnavailable({ reason: "not needed here", retryable: false }))
    })
    return { history, store, q }
  })

describe("AnalyticsQueries", () => {
  it.effect("return statistics from one daily close per local day equal the domain's over every sample", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ step: fc.integer({ min: 60_000, max: 20 * 3_600_000 }), equity: fc.double({ min: 1, max: 1e6, noNaN: true }) }), { minLength: 1, maxLength: 60 }),
          (steps) =>
            Effect.runPromise(
              Effect.gen(function*() {
                const { history, q } = yield* queries("Europe/Oslo")
                let at = START
                const samples = steps.map(({ equity, step }) => equitySample((at += step), equity))
                for (const s of samples) yield* history.append(s)
                yield* TestClock.setTime(at + 1)
                const answer = yield* q.analytics("all", 252)
                const closes = EquityCurve.dailyCloses(samples, Calendar.make("Europe/Oslo"))
                const expected = Analytics.statistics(Analytics.simpleReturns(closes.map((c) => c.equity)), { periodsPerYear: 252 })
                expect(answer.returns).toEqual({
                  days: expected.periods,
                  cumulative_return: expected.cumulativeReturn,
                  annual_return: expected.annualReturn,
                  annual_volatility: expected.annualVolatility,
                  sharpe: expected.sharpe,
                  sortino: expected.sortino,
                  calmar: expected.calmar,
                  max_drawdown: expected.maxDrawdown
                })
              }).pipe(Effect.provide(TestContext.TestContext))
            )
        ),
        { numRuns: 40 }
      )
    ))

  it.effect("a window counts the closes of its days only; the round trips of its closes only", () =>
    Effect.gen(function*() {
      const { history, q, store } = yield* queries()
      for (let d = 0; d < 100; d++) yield* history.append(equitySample(START + d * DAY, 1000 * 1.01 ** d))
      yield* store.commit(storeBatch("old", { closes: [closedTradeRecord("c-old", START, { round_trip_pnl: 5, realized_pnl: 5 })] }))
      yield* store.commit(storeBatch("new", { closes: [closedTradeRecord("c-new", START + 95 * DAY, { round_trip_pnl: -2, realized_pnl: -2 })] }))
      yield* TestClock.setTime(START + 99 * DAY + 1)
      const month = yield* q.analytics("30d")
      expect(month.returns.days).toBe(30) // 31 daily closes
      expect(month.returns.cumulative_return).toBeCloseTo(1.01 ** 30 - 1, 12)
      expect(month.returns.sharpe).toBeNull() // constant returns: no deviation
      expect(month.round_trips).toMatchObject({ trades: 1, total_pnl: -2, losses: 1 })
      expect((yield* q.analytics("all")).round_trips).toMatchObject({ trades: 2, total_pnl: 3 })
    }))

  it.effect("the trade figures from the close rollup are exactly those of the closes (round trips, performance, periods, heatmaps)", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.constantFrom("UTC", "Europe/Oslo", "Asia/Kathmandu", "America/St_Johns"),
          fc.array(
            fc.record({
              at: fc.oneof(fc.integer({ min: 0, max: 400 * DAY }), fc.integer({ min: 0, max: 400 * 96 }).map((q) => q * 900_000)),
              cents: fc.integer({ min: -500_000, max: 500_000 }),
              kind: fc.constantFrom("end", "end", "partial", "breakeven"),
              symbol: fc.constantFrom("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"),
              late: fc.boolean()
            }),
            { maxLength: 150 }
          ),
          fc.integer({ min: 0, max: 420 * DAY }),
          (timeZone, drawn, nowOffset) =>
            Effect.runPromise(
              Effect.gen(function*() {
                const { q, store } = yield* queries(timeZone)
                const base = Date.UTC(2025, 0, 1)
                const closes: Array<ClosedTradeRecord> = drawn.map(({ at, cents, kind, symbol }, i) =>
                  closedTradeRecord(`c${String(i).padStart(4, "0")}`, base + at, {
                    symbol,
                    realized_pnl: cents / 100,
                    round_trip_pnl: kind === "partial" ? null : kind === "breakeven" ? 0 : cents / 100,
                    ...(kind === "partial" ? { remaining_size: 1 } : {})
                  })
                )
                // Most arrive in time order, some late (a delayed or parked close).
                const inOrder = [...closes].sort((a, b) => a.closed_at - b.closed_at)
                const arrival = [...inOrder.filter((_, i) => !drawn[i]!.late), ...inOrder.filter((_, i) => drawn[i]!.late)]
                for (const c of arrival) yield* store.commit(storeBatch(c.close_id, { closes: [c] }))
                const now = base + nowOffset
                yield* TestClock.setTime(now)
                const calendar = Calendar.make(timeZone)
                const all = yield* store.closedTrades()
                const since = (from: number | undefined) => all.filter((c) => from === undefined || c.closed_at >= from)
                const cellOf = (c: TradeBreakdown.Cell) => ({ pnl: c.pnl, trades: c.trades, wins: c.wins, win_rate: c.winRate })
                for (const window of ["30d", "1y", "all"] as const) {
                  const from = AnalyticsQueries.windowStart(window, now)
                  const t = TradeAnalytics.statistics(since(from).flatMap((c) => (c.round_trip_pnl === null ? [] : [c.round_trip_pnl])))
                  expect((yield* q.analytics(window)).round_trips).toEqual(AnalyticsQueries.roundTrips(t))
                  const performance = yield* q.performance(window)
                  expect(performance.by_symbol).toEqual(TradeBreakdown.performance(since(from)).map((c) => ({ key: c.key, ...cellOf(c) })))
                  const sector = (s: string) => (s.startsWith("BTC") ? "BTC" : s.startsWith("ETH") ? "ETH" : "ALT")
                  expect(performance.by_sector).toEqual(TradeBreakdown.performance(since(from), sector).map((c) => ({ key: c.key, ...cellOf(c) })))
                  expect((yield* q.heatmap("weekday_hour", window)).cells)
                    .toEqual(TradeBreakdown.weekdayHour(since(from), calendar).map((c) => ({ row: c.row, column: c.column, ...cellOf(c) })))
                  expect((yield* q.heatmap("symbol_month", window)).cells)
                    .toEqual(TradeBreakdown.symbolMonth(since(from), calendar).map((c) => ({ row: c.row, column: c.column, ...cellOf(c) })))
                }
                for (const [unit, count] of [["day", 30], ["week", 12], ["month", 14]] as const) {
                  const periods = TradeBreakdown.periods(since(TradeBreakdown.periodStart(calendar, unit, now, count - 1)), calendar, unit, { last: count, now })
                  expect((yield* q.periods(unit, count)).periods).toEqual(periods.map((p) => ({ start: p.start, ...cellOf(p) })))
                }
              }).pipe(Effect.provide(TestContext.TestContext))
            )
        ),
        { numRuns: 60 }
      )
    ))

  it.effect("pages of closes cross ties of close time without losing or repeating one", () =>
    Effect.gen(function*() {
      const { q, store } = yield* queries()
      // 7 closes: three at one instant, two at another, symbols alternating.
      const times = [1000, 2000, 2000, 2000, 3000, 3000, 4000]
      const closes = times.map((t, i) => closedTradeRecord(`c${i}`, START + t, { symbol: i % 2 === 0 ? "BTCUSDT" : "ETHUSDT" }))
      for (const c of closes) yield* store.commit(storeBatch(c.close_id, { closes: [c] }))
      for (const [limit, symbol] of [[1, undefined], [2, undefined], [3, undefined], [1, "BTCUSDT"], [2, "ETHUSDT"]] as const) {
        const seen: Array<string> = []
        let cursor: AnalyticsQueries.Cursor | undefined
        for (let page = 0; page < 20; page++) {
          const answer = yield* q.trades({ status: "closed", limit, symbol, cursor })
          expect(answer.closed.length).toBeLessThanOrEqual(limit)
          seen.push(...answer.closed.map((c) => c.close_id))
          if (answer.next_cursor === null) break
          cursor = AnalyticsQueries.decodeCursor(answer.next_cursor) ?? undefined
        }
        expect(seen).toEqual(closes.filter((c) => symbol === undefined || c.symbol === symbol).map((c) => c.close_id))
      }
      expect(AnalyticsQueries.decodeCursor("12.x")).toBeNull()
      expect(AnalyticsQueries.decodeCursor(AnalyticsQueries.encodeCursor({ at: 5, skip: 2 }))).toEqual({ at: 5, skip: 2 })
    }))

  it.effect("correlation of daily returns per symbol and per sector, from the last mark of each UTC day", () =>
    Effect.gen(function*() {
      const { q, store } = yield* queries()
      const day0 = Math.floor(START / DAY) + 1
      // BTC and ETH move together (ETH = 2 × BTC's return), SOL against BTC; SOL has no mark on day 3.
      const btc = [100, 110, 99, 105, 110.25]
      const eth = [50]
      for (let i = 1; i < btc.length; i++) eth.push(eth[i - 1]! * (1 + 2 * (btc[i]! / btc[i - 1]! - 1)))
      const sol = [10, 9, 10, null, 11]
      for (let i = 0; i < btc.length; i++) {
        const at = (day0 + i) * DAY + 3_600_000
        // An earlier mark of the same day, replaced by the later one.
        yield* store.saveMarks([{ symbol: "BTCUSDT", price: 1, at: at - 1000 }])
        yield* store.saveMarks([
          { symbol: "BTCUSDT", price: btc[i]!, at },
          { symbol: "ETHUSDT", price: eth[i]!, at },
          ...(sol[i] === null ? [] : [{ symbol: "SOLUSDT", price: sol[i]!, at }])
        ])
      }
      yield* TestClock.setTime((day0 + 4) * DAY + 7_200_000)
      const answer = yield* q.correlation("all")
      expect(answer.days).toBe(5)
      expect(answer.symbols).toEqual(["BTCUSDT", "ETHUSDT", "SOLUSDT"])
      const r = (p: Array<number | null>) => Analytics.simpleReturns(p as Array<number>).map((x, i) => (p[i] === null || p[i + 1] === null ? null : x))
      expect(answer.by_symbol[0]![1]).toBeCloseTo(1, 12)
      expect(answer.by_symbol[0]![2]).toBe(Analytics.pearson(r(btc), r(sol)))
      expect(answer.by_symbol[0]![2]!).toBeLessThan(0)
      expect(answer.by_symbol[1]![0]).toBe(answer.by_symbol[0]![1])
      expect(answer.sectors).toEqual(["ALT", "BTC", "ETH"])
      expect(answer.by_sector[1]![2]).toBeCloseTo(1, 12)
      // The last 30 days hold them all; 40 days later none.
      const recent = yield* q.correlation("30d")
      expect(recent.days).toBe(5)
      yield* TestClock.setTime((day0 + 40) * DAY)
      expect(yield* q.correlation("30d")).toEqual({ window: "30d", days: 0, symbols: [], by_symbol: [], sectors: [], by_sector: [] })
    }))
})
