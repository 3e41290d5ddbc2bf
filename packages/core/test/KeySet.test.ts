/**
 * The bounded set of processed keys: it remembers exactly the `limit` keys first added most
 * recently (a re-added key keeps its place), as a plain model of it says, and a clone is
 * independent.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import * as KeySet from "../src/domain/KeySet.js"

/** The model: distinct keys in order of first addition; the last `limit` are remembered. */
const model = (adds: ReadonlyArray<string>, limit: number): Set<string> => {
  const order: Array<string> = []
  const present = new Set<string>()
  for (const k of adds) {
    if (present.has(k)) continue
    present.add(k)
    order.push(k)
    while (order.length > limit) present.delete(order.shift()!)
  }
  return present
}

describe("KeySet", () => {
  it("remembers the most recently first-added keys up to its limit", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }).map(String), { maxLength: 3000 }), fc.integer({ min: 1, max: 30 }), (adds, limit) => {
        const set = KeySet.make(limit)
        for (const k of adds) KeySet.add(set, k)
        const expected = model(adds, limit)
        for (let k = 0; k <= 40; k++) expect(KeySet.has(set, String(k)), String(k)).toBe(expected.has(String(k)))
        expect(set.keys.size).toBe(expected.size)
      })
    )
  })

  it("forgets in first-added order across many evictions (its queue compacts)", () => {
    const set = KeySet.make(100)
    for (let i = 0; i < 10_000; i++) KeySet.add(set, `k${i}`)
    expect(set.keys.size).toBe(100)
    expect(KeySet.has(set, "k9899")).toBe(false)
    expect(KeySet.has(set, "k9900")).toBe(true)
    expect(set.order.length - set.head).toBe(100)
    expect(set.order.length).toBeLessThan(2 * 1024 + 200)
  })

  it("is unbounded by default, and a clone is independent", () => {
    const set = KeySet.make()
    for (let i = 0; i < 1000; i++) KeySet.add(set, `k${i}`)
    expect(set.keys.size).toBe(1000)
    const bounded = KeySet.make(2)
    KeySet.add(bounded, "a")
    KeySet.add(bounded, "b")
    const copy = KeySet.clone(bounded)
    KeySet.add(bounded, "c")
    expect(KeySet.has(bounded, "a")).toBe(false)
    expect(KeySet.has(copy, "a")).toBe(true)
    KeySet.add(copy, "d")
    expect(KeySet.has(copy, "a")).toBe(false)
    expect(KeySet.has(copy, "b")).toBe(true)
    expect(KeySet.has(bounded, "b")).toBe(true)
  })
})
