import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { MemoryTradeStore } from "../src/memory/index.js"
import { closedTradeRecord, storeBatch, tradeStoreContract } from "../src/testing/TradeStoreContract.js"

tradeStoreContract("MemoryTradeStore", () => MemoryTradeStore.layer)

describe("MemoryTradeStore", () => {
  it.effect("each make is a separate, empty store", () =>
    Effect.gen(function*() {
      const a = yield* MemoryTradeStore.make
      const b = yield* MemoryTradeStore.make
      yield* a.commit(storeBatch("ev-1", { closes: [closedTradeRecord("c-1", 1)] }))
      expect(yield* a.counts).toEqual({ openTrades: 0, closes: 1, fills: 0, events: 1 })
      expect(yield* b.counts).toEqual({ openTrades: 0, closes: 0, fills: 0, events: 0 })
      expect(yield* b.isProcessed("ev-1")).toBe(false)
    }))

  it.effect("ranges stay correct over many closes inserted out of order", () =>
    Effect.gen(function*() {
      const store = yield* MemoryTradeStore.make
      // A fixed permutation of 0..499 (multiplying by a unit mod 500).
      const times = Array.from({ length: 500 }, (_, i) => ((i * 37) % 500) * 10)
      for (const [i, at] of times.entries()) {
        yield* store.commit(storeBatch(`ev-${i}`, { closes: [closedTradeRecord(`c-${String(at).padStart(5, "0")}`, at)] }))
      }
      const all = yield* store.closedTrades()
      expect(all.map((c) => c.closed_at)).toEqual([...times].sort((x, y) => x - y))
      const window = yield* store.closedTrades({ from: 1000, to: 2000 })
      expect(window.map((c) => c.closed_at)).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i * 10))
    }))
})
