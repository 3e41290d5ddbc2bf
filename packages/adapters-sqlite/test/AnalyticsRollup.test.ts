import { AnalyticsQueries, Calendar, CashUnavailable, EquityHistory, TradeAnalytics, TradeBreakdown, TradeStore } from "@portfolio/core"
import { closedTradeRecord, storeBatch } from "@portfolio/core/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { SqliteDatabase, SqliteEquityHistory, SqliteTradeStore } from "../src/index.js"
import { useTempDir } from "./fixtures/TempDir.js"

const { freshPath } = useTempDir()
const DAY = 86_400_000

/** `actual` equals `expected`, numbers to a relative 1e-12 (SQLite's grouped sums may differ in the last bit), everything else exactly. */
const expectClose = (actual: unknown, expected: unknown, path = "$"): void => {
  if (typeof expected === "number" && typeof actual === "number") {
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)))
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual) && actual.length, path).toBe(expected.length)
    expected.forEach((e, i) => expectClose((actual as Array<unknown>)[i], e, `${path}[${i}]`))
  } else if (expected !== null && typeof expected === "object") {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort())
    for (const [k, e] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], e, `${path}.${k}`)
  } else expect(actual, path).toEqual(expected)
}

describe("AnalyticsQueries on SQLite", () => {
  for (const timeZone of ["Europe/Oslo", "Asia/Kathmandu"]) {
    it.effect(`the trade figures from the close rollup are those of the closes (${timeZone})`, () =>
      Effect.gen(function*() {
        const store = yield* TradeStore
        const base = Date.UTC(2025, 0, 1)
        // 3 000 closes over 400 days, out of order in places, partial closes and break-evens, some on a 15-minute boundary.
        const closes = Array.from({ length: 3_000 }, (_, i) => {
          const at = base + ((i * 11_519_011) % (400 * DAY)) - (i % 9 === 0 ? ((i * 11_519_011) % (400 * DAY)) % 900_000 : 0)
          const pnl = (((i * 7_919) % 100_001) - 50_000) / 100
          return closedTradeRecord(`c${String(i).padStart(4, "0")}`, at, {
            symbol: ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"][i % 4]!,
            realized_pnl: pnl,
            round_trip_pnl: i % 5 === 0 ? null : i % 11 === 0 ? 0 : pnl
          })
        })
        for (let i = 0; i < closes.length; i += 50) {
          yield* store.commitMany(closes.slice(i, i + 50).map((c) => storeBatch(c.close_id, { closes: [c] })))
        }
        const now = base + 390 * DAY + 12_345_678
        yield* TestClock.setTime(now)
        const q = AnalyticsQueries.make({
          options: { timeZone },
          store,
          history: yield* EquityHistory,
          snapshot: Effect.fail(new CashUnavailable({ reason: "not needed", retryable: false }))
        })
        const calendar = Calendar.make(timeZone)
        const all = yield* store.closedTrades()
        const since = (from: number | undefined) => all.filter((c) => from === undefined || c.closed_at >= from)
        const cellOf = (c: TradeBreakdown.Cell) => ({ pnl: c.pnl, trades: c.trades, wins: c.wins, win_rate: c.winRate })
        for (const window of ["30d", "1y", "all"] as const) {
          const from = AnalyticsQueries.windowStart(window, now)
          const t = TradeAnalytics.statistics(since(from).flatMap((c) => (c.round_trip_pnl === null ? [] : [c.round_trip_pnl])))
          expectClose((yield* q.analytics(window)).round_trips, AnalyticsQueries.roundTrips(t))
          expectClose((yield* q.performance(window)).by_symbol, TradeBreakdown.performance(since(from)).map((c) => ({ key: c.key, ...cellOf(c) })))
          expectClose((yield* q.heatmap("weekday_hour", window)).cells, TradeBreakdown.weekdayHour(since(from), calendar).map((c) => ({ row: c.row, column: c.column, ...cellOf(c) })))
          expectClose((yield* q.heatmap("symbol_month", window)).cells, TradeBreakdown.symbolMonth(since(from), calendar).map((c) => ({ row: c.row, column: c.column, ...cellOf(c) })))
        }
        for (const [unit, count] of [["day", 45], ["week", 20], ["month", 14]] as const) {
          const expected = TradeBreakdown.periods(since(TradeBreakdown.periodStart(calendar, unit, now, count - 1)), calendar, unit, { last: count, now })
          expectClose((yield* q.periods(unit, count)).periods, expected.map((p) => ({ start: p.start, ...cellOf(p) })))
        }
        expect(all.length).toBe(3_000)
      }).pipe(
        Effect.provide(Layer.mergeAll(SqliteTradeStore.layer, SqliteEquityHistory.layer).pipe(Layer.provide(SqliteDatabase.layer({ path: freshPath() }))))
      ))
  }
})
