import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Sum from "../src/domain/Sum.js"

const naive = (terms: ReadonlyArray<number>): number => terms.reduce((a, b) => a + b, 0)

describe("Sum", () => {
  it("keeps the small term that naive summation loses between two large ones", () => {
    // 1e16 + 1 rounds back to 1e16 in float64 (ulp at 1e16 is 2), so naively 1e16 + 1 − 1e16 = 0.
    const terms = [1e16, 1, -1e16]
    expect(naive(terms)).toBe(0)
    expect(Sum.of(terms)).toBe(1)
  })

  it("sums a million dimes to exactly 100 000 where naive summation drifts", () => {
    // 0.1 is 0.1000000000000000055511… in float64; a million of them is 100000.0000000000055…,
    // whose nearest float64 is 100 000. The running total loses bits at every step.
    const terms = Array.from({ length: 1_000_000 }, () => 0.1)
    const drift = Math.abs(naive(terms) - 100_000)
    expect(drift).toBeGreaterThan(1e-7)
    expect(Sum.of(terms)).toBe(100_000)
  })

  it("beats naive summation on an adversarial series of alternating magnitudes", () => {
    // Blocks of (1e17, 3, −1e17): the ulp at 1e17 is 16, so 1e17 + 3 rounds back to 1e17 and
    // the 3 is lost. 10 000 blocks: exact sum 10 000 × 3 = 30 000; naive 0.
    const terms: Array<number> = []
    for (let i = 0; i < 10_000; i++) terms.push(1e17, 3, -1e17)
    expect(naive(terms)).toBe(0)
    expect(Sum.of(terms)).toBe(30_000)
  })

  it("accumulates incrementally to the same value as Sum.of, and clones independently", () => {
    const s = Sum.make(5)
    Sum.add(s, 0.1)
    Sum.add(s, 0.2)
    expect(Sum.value(s)).toBe(Sum.of([5, 0.1, 0.2]))
    const copy = Sum.clone(s)
    Sum.add(copy, 1)
    expect(Sum.value(s)).toBe(Sum.of([5, 0.1, 0.2]))
    expect(Sum.value(copy)).toBe(Sum.of([5, 0.1, 0.2, 1]))
  })

  it("is within an ulp or two of the exact sum of random dyadic terms (exact by BigInt)", () => {
    // Terms k × 2^−30 with |k| < 2^52 are exact float64s; their exact sum is Σk × 2^−30 in BigInt.
    const SCALE = 2 ** 30
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }), { minLength: 1, maxLength: 300 }),
        (ks) => {
          const terms = ks.map((k) => Number(k) / SCALE)
          const exact = Number(ks.reduce((a, b) => a + b, 0n)) / SCALE
          const magnitude = terms.reduce((a, b) => a + Math.abs(b), 0)
          const bound = 2 * Number.EPSILON * Math.abs(exact) + terms.length * Number.EPSILON ** 2 * magnitude
          expect(Math.abs(Sum.of(terms) - exact)).toBeLessThanOrEqual(bound)
          expect(Math.abs(Sum.of(terms) - exact)).toBeLessThanOrEqual(Math.abs(naive(terms) - exact) + bound)
        }
      ),
      { numRuns: 200 }
    )
  })
})
