/**
 * The list encoder keeps records' texts between encodings: whatever changes, is added, removed,
 * reordered or repeated, its text is exactly `JSON.stringify`'s, and it keeps at most one list.
 */
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { encodeWithList, ListEncoder } from "../src/internal/jsonList.js"

const record = fc.record({
  trade_id: fc.constantFrom("a", "b", "c", "d", "e", "f", "\u0000list\u0000", 'q"uote'),
  symbol: fc.constantFrom("BTCUSDT", "ETHUSDT"),
  size: fc.oneof(fc.double({ noNaN: true }), fc.constant(-0), fc.integer()),
  price_stale: fc.boolean(),
  sector: fc.string()
})

describe("ListEncoder", () => {
  it("writes JSON.stringify's text for every list of a sequence", () => {
    fc.assert(
      fc.property(fc.array(fc.array(record, { maxLength: 12 }), { minLength: 1, maxLength: 8 }), (lists) => {
        const encoder = new ListEncoder((r) => r["trade_id"] as string)
        for (const list of lists) {
          expect(encoder.encode(list).toString()).toBe(JSON.stringify(list))
          expect(encoder.size).toBeLessThanOrEqual(list.length)
        }
      })
    )
  })

  it("writes an object with its list as JSON.stringify does", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), fc.string(), fc.double({ noNaN: true }), (positions, note, equity) => {
        const encoder = new ListEncoder((r) => r["trade_id"] as string)
        const snapshot = { total_equity: equity, note, positions, timestamp: "2026-11-30T00:00:00.000Z" }
        expect(encodeWithList(snapshot, "positions", encoder).toString()).toBe(JSON.stringify(snapshot))
        // Again, from the kept texts.
        expect(encodeWithList(snapshot, "positions", encoder).toString()).toBe(JSON.stringify(snapshot))
      })
    )
  })

  it("re-encodes a record whose field changed, and only then", () => {
    const encoder = new ListEncoder((r) => r["trade_id"] as string)
    const a = { trade_id: "a", price: 1 }
    const b = { trade_id: "b", price: 2 }
    const stringify = JSON.stringify
    let calls = 0
    JSON.stringify = ((v: unknown) => {
      calls++
      return stringify(v)
    }) as typeof JSON.stringify
    try {
      encoder.encode([a, b])
      expect(calls).toBe(2)
      encoder.encode([{ ...a }, { ...b, price: 3 }])
      expect(calls).toBe(3)
    } finally {
      JSON.stringify = stringify
    }
  })
})
