import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Analytics from "../src/domain/Analytics.js"

/** |actual − expected| ≤ 1e-12 × |expected| (the published figures carry 15–17 digits). */
const expectRel = (actual: number | null, expected: number, rel = 1e-12) => {
  expect(actual).not.toBeNull()
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(rel * Math.abs(expected))
}

// empyrical, empyrical/tests/test_stats.py: `mixed_returns`, `positive_returns`,
// `negative_returns`, annualized with DAILY (252), their `expected` figures.
const mixed = [null, 0.01, 0.1, -0.04, 0.02, 0.03, 0.02, 0.01, -0.1]
const positive = [0.01, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01]
const negative = [0, -0.06, -0.07, -0.01, -0.09, -0.02, -0.06, -0.08, -0.05]
const daily = { periodsPerYear: 252 }

describe("Analytics against empyrical's published vectors (empyrical/tests/test_stats.py)", () => {
  it("max drawdown of mixed_returns is −0.1", () => {
    expectRel(Analytics.maxDrawdownOfReturns(mixed), -0.1)
  })
  it("Sharpe of mixed_returns is 1.7238613961706866", () => {
    expectRel(Analytics.sharpe(mixed, daily), 1.7238613961706866)
  })
  it("Sortino of mixed_returns is 2.605531251673693", () => {
    expectRel(Analytics.sortino(mixed, daily), 2.605531251673693)
  })
  it("Sharpe of positive_returns is 52.915026221291804", () => {
    expectRel(Analytics.sharpe(positive, daily), 52.915026221291804)
  })
  it("Sortino of negative_returns is −13.532743075043401", () => {
    expectRel(Analytics.sortino(negative, daily), -13.532743075043401)
  })
  it("Calmar of mixed_returns is 19.135925373194233 (the NaN period counts in the annual return)", () => {
    expectRel(Analytics.calmar(mixed, daily), 19.135925373194233)
  })
  it("annual volatility of mixed_returns is 0.9136465399704637", () => {
    expectRel(Analytics.annualVolatility(mixed, daily), 0.9136465399704637)
  })
})

describe("Analytics against NautilusTrader's published vectors (tests/unit_tests/analysis)", () => {
  it("Sharpe of [.01, −.02, .015, −.005, .025] is 4.48998886412873", () => {
    expectRel(Analytics.sharpe([0.01, -0.02, 0.015, -0.005, 0.025], daily), 4.48998886412873)
  })
  it("Sortino of [−.01, .02, −.015, .005, −.02] is −5.273224492824493", () => {
    expectRel(Analytics.sortino([-0.01, 0.02, -0.015, 0.005, -0.02], daily), -5.273224492824493)
  })
  it("max drawdown of returns [−.4, −.1] is −0.46 (the start is the first peak)", () => {
    expectRel(Analytics.maxDrawdownOfReturns([-0.4, -0.1]), -0.46)
  })
})

describe("Analytics: undefined figures are null, never NaN or Infinity", () => {
  it("too few returns", () => {
    expect(Analytics.sharpe([], daily)).toBeNull()
    expect(Analytics.sharpe([0.01], daily)).toBeNull()
    expect(Analytics.sortino([-0.01], daily)).toBeNull()
    expect(Analytics.annualVolatility([0.01])).toBeNull()
    expect(Analytics.annualReturn([])).toBeNull()
    expect(Analytics.pearson([1], [2])).toBeNull()
  })
  it("zero deviation: constant returns have no Sharpe; no losing period has no Sortino", () => {
    expect(Analytics.sharpe([0.01, 0.01, 0.01])).toBeNull()
    expect(Analytics.sortino([0.01, 0.02, 0.03])).toBeNull()
    expect(Analytics.pearson([1, 1, 1], [1, 2, 3])).toBeNull()
  })
  it("no drawdown: no Calmar; a wipe-out has no annual return", () => {
    expect(Analytics.calmar([0.01, 0.02])).toBeNull()
    expect(Analytics.annualReturn([-1, 0.5])).toBeNull()
    expect(Analytics.maxDrawdownOfReturns([-1, 0.5])).toBe(-1)
  })
  it("simple returns from a non-positive value are null", () => {
    expect(Analytics.simpleReturns([100, 110, 0, 5, -5, 10])).toEqual([0.10000000000000009, -1, null, -2, null])
  })
  it("default annualization is 365 periods", () => {
    const r = [0.01, -0.02, 0.015, -0.005, 0.025]
    expectRel(Analytics.sharpe(r), (4.48998886412873 / Math.sqrt(252)) * Math.sqrt(365))
  })
})

describe("Analytics: Pearson correlation", () => {
  it("is 1 for an affine image, −1 for a negated one, and matches a hand computation", () => {
    const x = [0.01, -0.02, 0.03, 0.005, -0.01]
    expectRel(Analytics.pearson(x, x.map((v) => 3 * v + 0.1)), 1)
    expectRel(Analytics.pearson(x, x.map((v) => -2 * v)), -1)
    // x = [1,2,3,4], y = [2,4,5,4]: Σdxdy = 3.5, Σdx² = 5, Σdy² = 4.75 → r = 3.5/√(5 × 4.75)
    expectRel(Analytics.pearson([1, 2, 3, 4], [2, 4, 5, 4]), 3.5 / Math.sqrt(5 * 4.75))
  })
  it("leaves out pairs with a null; the matrix is symmetric with 1 on its diagonal", () => {
    expectRel(Analytics.pearson([1, null, 2, 3, 4], [2, 100, 4, 5, 4]), 3.5 / Math.sqrt(5 * 4.75))
    const { matrix, names } = Analytics.correlationMatrix(new Map([["B", [1, 2, 3, 4]], ["A", [2, 4, 5, 4]]]))
    expect(names).toEqual(["A", "B"])
    expectRel(matrix[0]![0]!, 1)
    expect(matrix[0]![1]).toBe(matrix[1]![0])
  })
})

const returnsArb = fc.array(fc.double({ min: -0.5, max: 0.5, noNaN: true }), { minLength: 0, maxLength: 60 })

describe("Analytics properties", () => {
  it("Sharpe is invariant to scaling every return by a positive constant", () => {
    fc.assert(
      fc.property(returnsArb, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (r, k) => {
        const sd = Analytics.stdev(r)
        fc.pre(sd !== null && sd > 1e-6) // scaled by ≥ 1e-3 it stays far above the 1e-12 threshold
        const a = Analytics.sharpe(r)
        const b = Analytics.sharpe(r.map((x) => x * k))
        if (a === null || b === null) return false
        return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a))
      })
    )
  })
  it("every statistic is finite or null; max drawdown is in [−1, 0]", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: -1, max: 10, noNaN: true }), fc.constant(null)), { maxLength: 60 }), (r) => {
        const s = Analytics.statistics(r)
        for (const v of Object.values(s)) if (v !== null && !Number.isFinite(v)) return false
        return s.maxDrawdown <= 0 && s.maxDrawdown >= -1
      })
    )
  })
  it("max drawdown of returns equals the brute-force O(n²) answer over the compounded curve", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -0.9, max: 2, noNaN: true }), { maxLength: 40 }), (r) => {
        const curve = [1]
        for (const x of r) curve.push(curve[curve.length - 1]! * (1 + x))
        let brute = 0
        for (let i = 0; i < curve.length; i++) {
          for (let j = i + 1; j < curve.length; j++) brute = Math.min(brute, curve[j]! / curve[i]! - 1)
        }
        return Math.abs(Analytics.maxDrawdownOfReturns(r) - Math.max(-1, brute)) <= 1e-12
      })
    )
  })
})
