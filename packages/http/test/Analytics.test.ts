/**
 * The history and analytics routes (issue 12) against a real listening server: in this process
 * on memory adapters (what survives a restart: AnalyticsRestart.test.ts).
 *
 * The trades: T1 BTCUSDT +100, T2 ETHUSDT −50, T3 SOLUSDT +30 (round trips, authoritative
 * `realized_pnl`), T4 BTCUSDT still open; all on Tuesday 2024-03-05 from 12:00 UTC.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { at, BASE, feed, ok } from "./support/AnalyticsTrades.js"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"
import { waitFor } from "./support/WaitFor.js"

describe("history and analytics routes (in process, memory adapters)", () => {
  it.scopedLive("answer the figures of what was ingested", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      yield* feed(url)

      const analytics = yield* ok(url, "/api/portfolio/analytics?window=all")
      expect(analytics.round_trips).toMatchObject({ trades: 3, wins: 2, losses: 1, total_pnl: 80, win_rate: 2 / 3, average_win: 65, average_loss: 50 })
      // Freqtrade's expectancy: 2/3 × 65 − 1/3 × 50 = 26.67; ratio (1 + 65/50) × 2/3 − 1.
      expect(analytics.round_trips.expectancy).toBeCloseTo(80 / 3, 12)
      expect(analytics.round_trips.expectancy_ratio).toBeCloseTo((1 + 65 / 50) * (2 / 3) - 1, 12)
      expect(analytics.round_trips.kelly_fraction).toBeCloseTo(2 / 3 - 1 / 3 / (65 / 50), 12)
      // Samples of today only: one daily close, no return yet — undefined ratios are null.
      expect(analytics.returns).toMatchObject({ days: 0, sharpe: null, sortino: null, calmar: null, annual_volatility: null })
      expect(analytics).toMatchObject({ window: "all", time_zone: "UTC", periods_per_year: 365, from: null })
      // The 30-day window holds none of the 2024 closes.
      expect((yield* ok(url, "/api/portfolio/analytics?window=30d&periods_per_year=252")).round_trips.trades).toBe(0)

      const performance = yield* ok(url, "/api/portfolio/performance")
      expect(performance.by_symbol.map((r: any) => [r.key, r.pnl, r.trades])).toEqual([["BTCUSDT", 100, 1], ["SOLUSDT", 30, 1], ["ETHUSDT", -50, 1]])
      expect(performance.by_sector.map((r: any) => [r.key, r.pnl])).toEqual([["BTC", 100], ["ALT", 30], ["ETH", -50]])

      // The last 1 000 months, this one last, zero-filled.
      const months = yield* ok(url, "/api/portfolio/periods?unit=month&count=1000")
      expect(months.periods).toHaveLength(1000)
      expect(months.periods.at(-1).start).toBe(`${new Date().toISOString().slice(0, 7)}-01`)
      expect(months.periods.filter((p: any) => p.trades > 0)).toEqual([{ start: "2024-03-01", pnl: 80, trades: 3, wins: 2, win_rate: 2 / 3 }])
      expect(months.periods.reduce((n: number, p: any) => n + p.pnl, 0)).toBe(80)
      const heatmap = yield* ok(url, "/api/portfolio/heatmap?by=weekday_hour")
      expect(heatmap.cells.map((c: any) => [c.row, c.column, c.pnl])).toEqual([["Tue", "12", 80]])
      expect((yield* ok(url, "/api/portfolio/heatmap?by=symbol_month")).cells).toHaveLength(3)

      // No daily marks saved yet (they are saved with the periodic snapshot): nothing to correlate.
      expect(yield* ok(url, "/api/portfolio/correlation?window=90d")).toEqual({ window: "90d", days: 0, symbols: [], by_symbol: [], sectors: [], by_sector: [] })

      const risk = yield* ok(url, "/api/portfolio/risk-buckets")
      expect(risk.buckets.map((b: any) => b.category)).toEqual(["CORE", "EXPANSION", "MONITORING", "TOXIC"])
      const total = risk.buckets.reduce((s: number, b: any) => s + b.exposure, 0)
      expect(total).toBe(420) // T4: 2 × 210
      expect(risk.buckets.reduce((s: number, b: any) => s + b.realized_pnl, 0)).toBe(80)
      expect(risk.equity).toBe(10_000 + 80 + 20)

      // The equity curve: the samples of the snapshots published since start, in OHLC buckets.
      const curve = yield* waitFor(ok(url, "/api/portfolio/equity?resolution=1m"), (c) => c.buckets.length > 0, "an equity sample", "10 seconds")
      expect(curve.resolution_ms).toBe(60_000)
      for (const b of curve.buckets) expect(b.low <= b.open && b.open <= b.high && b.low <= b.close && b.close <= b.high).toBe(true)
      const drawdown = yield* ok(url, "/api/portfolio/drawdown/history?window=30d&worst=3")
      expect(drawdown.max_drawdown).toBeLessThanOrEqual(0)
      expect(drawdown.worst.length).toBeLessThanOrEqual(3)
    }).pipe(Effect.provide(layer())))

  it.scopedLive("pages the closes with a cursor, lists open trades, filters by symbol", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      yield* feed(url)
      const first = yield* ok(url, "/api/portfolio/trades?limit=2")
      expect(first.closed.map((c: any) => c.trade_id)).toEqual(["T1", "T2"])
      expect(first.next_cursor).toEqual(expect.any(String))
      const second = yield* ok(url, `/api/portfolio/trades?limit=2&cursor=${encodeURIComponent(first.next_cursor)}`)
      expect(second.closed.map((c: any) => c.trade_id)).toEqual(["T3"])
      expect(second.next_cursor).toBeNull()
      expect((yield* ok(url, "/api/portfolio/trades?symbol=ETHUSDT")).closed.map((c: any) => c.trade_id)).toEqual(["T2"])
      expect((yield* ok(url, `/api/portfolio/trades?from=${encodeURIComponent(at(8))}&to=${BASE + 30 * 60_000}`)).closed.map((c: any) => c.trade_id)).toEqual(["T2", "T3"])
      const open = yield* ok(url, "/api/portfolio/trades?status=open")
      expect(open.open.map((p: any) => [p.trade_id, p.unrealized_pnl])).toEqual([["T4", 20]])
    }).pipe(Effect.provide(layer())))

  it.scopedLive("a bad query parameter answers 400 naming it", () =>
    Effect.gen(function*() {
      const url = yield* baseUrl
      const cases: ReadonlyArray<readonly [string, string]> = [
        ["/api/portfolio/analytics?window=2y", "window"],
        ["/api/portfolio/analytics?periods_per_year=-1", "periods_per_year"],
        ["/api/portfolio/equity?resolution=fast", "resolution"],
        ["/api/portfolio/equity?from=yesterday", "from"],
        ["/api/portfolio/equity?from=2024-01-02&to=2024-01-01", "to"],
        ["/api/portfolio/drawdown/history?worst=0", "worst"],
        ["/api/portfolio/periods?unit=year", "unit"],
        ["/api/portfolio/heatmap?by=symbol_hour", "by"],
        ["/api/portfolio/trades?status=pending", "status"],
        ["/api/portfolio/trades?limit=5000", "limit"],
        ["/api/portfolio/trades?cursor=abc", "cursor"],
        ["/api/portfolio/correlation?window=7d", "window"]
      ]
      for (const [path, parameter] of cases) {
        const answer = yield* Http.get(url, path)
        expect({ path, status: answer.status, error: answer.body?.error, parameter: answer.body?.details?.parameter }).toEqual({
          path,
          status: 400,
          error: "bad_request",
          parameter
        })
        expect(answer.body.message).toContain(parameter)
      }
      // The routes and their answers are in the OpenAPI document.
      const spec = (yield* Http.get(url, "/openapi.json")).body
      expect(spec.paths["/api/portfolio/analytics"].get.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/Analytics" })
      expect(spec.paths["/api/portfolio/analytics"].get.responses["400"]).toBeDefined()
      expect(spec.components.schemas.RoundTripStatistics.properties.kelly_fraction).toBeDefined()
    }).pipe(Effect.provide(layer())))
})
