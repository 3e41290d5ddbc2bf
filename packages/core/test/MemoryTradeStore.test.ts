import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { MemoryTradeStore } from "../src/memory/index.js"
import { type StoreBatch, StoreError, TradeStore } from "../src/ports/TradeStore.js"
import { closedTradeRecord, openTradeRecord, storeBatch, tradeStoreContract } from "../src/testing/TradeStoreContract.js"

tradeStoreContract("MemoryTradeStore", () => MemoryTradeStore.layer)

describe("MemoryTradeStore", () => {
  it.effect("each make is a separate, empty store", () =>
    Effect.gen(function*() {
      const a = yield* MemoryTradeStore.make
      const b = yield* MemoryTradeStore.make
      yield* a.commit(storeBatch("ev-1", { closes: [closedTradeRecord("c-1", 1)] }))
      expect(yield* a.counts).toEqual({ openTrades: 0, closes: 1, fills: 0, events: 1, parked: 0 })
      expect(yield* b.counts).toEqual({ openTrades: 0, closes: 0, fills: 0, events: 0, parked: 0 })
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

  describe("failCommit (fault injection)", () => {
    const injected = new StoreError({ operation: "commit", reason: "injected", retryable: true })

    it.effect("an error for one batch fails its whole call, writes nothing, and a retry may succeed", () =>
      Effect.gen(function*() {
        const calls: Array<[string | undefined, number]> = []
        const store = yield* MemoryTradeStore.makeWith({
          failCommit: (batch, attempt) => {
            calls.push([batch.eventKey, attempt])
            return batch.eventKey === "ev-2" && attempt === 1 ? injected : undefined
          }
        })
        const batches = [
          storeBatch("ev-1", { upsertOpenTrades: [openTradeRecord("t-1")] }),
          storeBatch("ev-2", { closes: [closedTradeRecord("c-2", 2)] }),
          storeBatch("ev-3", { closes: [closedTradeRecord("c-3", 3)] })
        ]
        expect(yield* Effect.flip(store.commitMany(batches))).toBe(injected)
        expect(yield* store.counts).toEqual({ openTrades: 0, closes: 0, fills: 0, events: 0, parked: 0 })
        expect(yield* store.processedAmong(["ev-1", "ev-2", "ev-3"])).toEqual(new Set())

        expect(yield* store.commitMany(batches)).toEqual(["committed", "committed", "committed"])
        expect(calls).toEqual([["ev-1", 1], ["ev-2", 1], ["ev-3", 1], ["ev-1", 2], ["ev-2", 2], ["ev-3", 2]])
        expect(yield* store.counts).toEqual({ openTrades: 1, closes: 2, fills: 0, events: 3, parked: 0 })
      }))

    it.effect("commit goes through the hook too; a batch without an eventKey is counted by identity", () =>
      Effect.gen(function*() {
        const release: StoreBatch = storeBatch(undefined, { closes: [closedTradeRecord("c-1", 1)] })
        const store = yield* MemoryTradeStore.makeWith({
          failCommit: (batch, attempt) => (batch === release && attempt < 3 ? injected : undefined)
        })
        expect(yield* Effect.flip(store.commit(release))).toBe(injected)
        expect(yield* Effect.flip(store.commit(release))).toBe(injected)
        expect(yield* store.commit(release)).toBe("committed")
        expect((yield* store.closedTrades()).map((c) => c.close_id)).toEqual(["c-1"])
      }))

    it.effect("the layer with options builds a store with the hook", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Effect.flatMap(TradeStore, (store) => store.commit(storeBatch("ev-1"))).pipe(
            Effect.provide(MemoryTradeStore.layerWith({ failCommit: () => injected }))
          )
        )
        expect(error).toBe(injected)
      }))
  })
})
