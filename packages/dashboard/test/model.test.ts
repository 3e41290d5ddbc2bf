/**
 * The dashboard's figures as specifications: the underwater curve against its definition,
 * exposure sums, closes placed by weekday and hour in the service's zone (checked against a
 * half-hour zone), the service's heatmap and equity answers read, positions sorted, money
 * formatted.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Model from "../src/model.js"

const position = (trade_id: string, symbol: string, sector: string, exposure: number, unrealized_pnl = 0): Model.Position => ({
  trade_id, symbol, sector, exposure, unrealized_pnl, side: "LONG", size: 1, entry_price: 1, current_price: 1, unrealized_pnl_pct: 0, leverage: 1, opened_at: "2026-01-01T00:00:00Z"
})

describe("dashboard model", () => {
  it("the underwater curve is (equity − running peak) / running peak × 100", () => {
    const equity = [100, 110, 99, 121, 121, 60.5].map((v, t) => ({ t, v }))
    expect(Model.underwater(equity).map((p) => Number(p.v.toFixed(9)))).toEqual([0, 0, -10, 0, 0, -50])
  })

  it("a curve keeps time order, replaces a point of the same second, and keeps at most its bound", () => {
    const curve: Array<Model.Point> = []
    Model.addPoint(curve, { t: 1, v: 1 })
    Model.addPoint(curve, { t: 2, v: 2 })
    Model.addPoint(curve, { t: 2, v: 3 })
    Model.addPoint(curve, { t: 1, v: 9 }) // older: ignored
    expect(curve).toEqual([{ t: 1, v: 1 }, { t: 2, v: 3 }])
    for (let t = 3; t < 20; t++) Model.addPoint(curve, { t, v: t }, 5)
    expect(curve.map((p) => p.t)).toEqual([15, 16, 17, 18, 19])
  })

  it("exposure is summed by symbol and by sector, largest first", () => {
    const ps = [position("a", "BTCUSDT", "BTC", 100), position("b", "ETHUSDT", "ETH", 300), position("c", "BTCUSDT", "BTC", 250)]
    expect(Model.exposureBy(ps, "symbol")).toEqual([["BTCUSDT", 350], ["ETHUSDT", 300]])
    expect(Model.exposureBy(ps, "sector")).toEqual([["BTC", 350], ["ETH", 300]])
  })

  it("a close is placed by weekday and hour in the heatmap's zone", () => {
    // 2024-03-04 is a Monday; 23:45 UTC is Tuesday 05:15 in Asia/Kolkata (+05:30).
    const utc = Model.addClose(Model.emptyHeatmap("UTC"), "2024-03-04T23:45:00Z", 12, true)
    expect(utc.cells[0]![23]).toBe(12)
    expect(utc.trades[0]![23]).toBe(1)
    const kolkata = Model.addClose(Model.emptyHeatmap("Asia/Kolkata"), Date.parse("2024-03-04T23:45:00Z"), -5)
    expect(kolkata.cells[1]![5]).toBe(-5)
    expect(Model.heatScale(kolkata)).toBe(5)
  })

  it("reads the service's heatmap and equity answers, and nothing else", () => {
    const map = Model.parseHeatmap({ by: "weekday_hour", time_zone: "Europe/Paris", cells: [{ row: "Wed", column: "09", pnl: 42, trades: 2, wins: 1, win_rate: 0.5 }] })
    expect(map?.zone).toBe("Europe/Paris")
    expect(map?.cells[2]![9]).toBe(42)
    expect(map?.trades[2]![9]).toBe(2)
    expect(Model.parseHeatmap({ by: "symbol_month", cells: [] })).toBeUndefined()
    expect(Model.parseHeatmap({ error: "not_found" })).toBeUndefined()
    const curve = Model.parseCurve({ resolution_ms: 3_600_000, buckets: [{ start: "2026-01-01T01:00:00Z", open: 1, high: 2, low: 1, close: 2, samples: 3 }, { start: "2026-01-01T00:00:00Z", open: 1, high: 1, low: 1, close: 1, samples: 1 }] })
    expect(curve).toEqual([{ t: Date.parse("2026-01-01T00:00:00Z") / 1000, v: 1 }, { t: Date.parse("2026-01-01T01:00:00Z") / 1000, v: 2 }])
    expect(Model.parseCurve({ buckets: [] })).toBeUndefined()
    expect(Model.parseCurve("nope")).toBeUndefined()
  })

  it("sorts positions by a column either way, ties by trade id", () => {
    const ps = [position("b", "ETHUSDT", "ETH", 300), position("a", "BTCUSDT", "BTC", 300), position("c", "ADAUSDT", "ALT", 10)]
    expect(Model.sortPositions(ps, "exposure", -1).map((p) => p.trade_id)).toEqual(["a", "b", "c"])
    expect(Model.sortPositions(ps, "symbol", 1).map((p) => p.symbol)).toEqual(["ADAUSDT", "BTCUSDT", "ETHUSDT"])
  })

  it("formats money with a sign on demand and never shows NaN", () => {
    expect(Model.formatMoney(1234.5)).toBe("1,234.50")
    expect(Model.formatMoney(12, true)).toBe("+12.00")
    expect(Model.formatMoney(-0.001, true)).toBe("0.00")
    expect(Model.formatMoney(Number.NaN)).toBe("—")
    expect(Model.formatPct(5.1234)).toBe("5.12 %")
    expect(Model.tone(-3)).toBe("down")
  })
})
