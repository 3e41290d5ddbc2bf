/**
 * The pieces of the report checked against hand-worked values: RFC 4180 quoting, daily closes
 * forward-filled across days without samples, monthly returns chained month to month, the
 * bounded chart curve, and `Export.parseFileName`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Csv, Export, Performance, Tearsheet } from "../src/index.js"

const DAY = 86_400_000
const T0 = Date.UTC(2025, 0, 30, 12)
const sample = (at: number, equity: number) => ({ at, equity, cash: equity, unrealized_pnl: 0 })

describe("Csv", () => {
  it("quotes a field only when it must, doubling inner quotes", () => {
    expect(Csv.row(["a", 1.5, null, true, 'say "hi"', "x,y", "line\nbreak", " pad"])).toBe(
      'a,1.5,,true,"say ""hi""","x,y","line\nbreak"," pad"\r\n'
    )
  })
})

describe("Performance", () => {
  it("forward-fills daily closes, chains monthly returns, keeps the last sample on the curve", () => {
    const perf = Performance.make("UTC")
    Performance.addSample(perf, sample(T0, 100)) // Jan 30
    Performance.addSample(perf, sample(T0 + 3_600_000, 110)) // Jan 30, later: the day's close
    Performance.addSample(perf, sample(T0 + 3 * DAY, 99)) // Feb 2 (Jan 31 and Feb 1 without samples)
    expect(perf.daily.map((d) => d.equity)).toEqual([110, 110, 110, 99])
    const monthly = Performance.monthlyReturns(perf.daily)
    expect(monthly.map((m) => m.month)).toEqual(["2025-01", "2025-02"])
    expect(monthly[0]!.return).toBeCloseTo(0, 12) // 110 / 110 − 1
    expect(monthly[1]!.return).toBeCloseTo(99 / 110 - 1, 12)
    expect(perf.maxDrawdownPct).toBeCloseTo(10, 12) // 110 → 99
    expect(Performance.curve(perf).at(-1)!.equity).toBe(99)
    const grid = Tearsheet.monthGrid(monthly)
    expect(grid).toHaveLength(1)
    expect(grid[0]!.total).toBeCloseTo(99 / 110 - 1, 12)
  })

  it("keeps at most CURVE_POINTS chart points however many samples pass", () => {
    const perf = Performance.make("UTC")
    for (let i = 0; i < 50_000; i++) Performance.addSample(perf, sample(T0 + i * 10_000, 100 + Math.sin(i)))
    expect(Performance.curve(perf).length).toBeLessThanOrEqual(Performance.CURVE_POINTS + 1)
    expect(Performance.curve(perf).at(-1)!.at).toBe(T0 + 49_999 * 10_000)
  })
})

describe("Export", () => {
  it("knows its file names", () => {
    expect(Export.parseFileName("closes.csv")).toEqual(["closes", "csv"])
    expect(Export.parseFileName("equity.ndjson")).toEqual(["equity", "ndjson"])
    expect(Export.parseFileName("closes.xml")).toBeUndefined()
    expect(Export.parseFileName("csv")).toBeUndefined()
    expect(Export.fileNames).toHaveLength(12)
  })
})
