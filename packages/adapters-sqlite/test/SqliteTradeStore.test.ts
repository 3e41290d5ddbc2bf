import { StoreError, TradeStore } from "@portfolio/core"
import { closedTradeRecord, openTradeRecord, storeBatch, tradeStoreContract } from "@portfolio/core/testing"
import { describe, expect, it } from "@effect/vitest"
import BetterSqlite3 from "better-sqlite3"
import { Context, Effect, Layer } from "effect"
import { SqliteDatabase, SqliteTradeStore } from "../src/index.js"
import { useTempDir } from "./fixtures/TempDir.js"

const { freshPath } = useTempDir()

const storeAt = (path: string, options: Partial<SqliteDatabase.Options> = {}) =>
  SqliteTradeStore.layer.pipe(Layer.provide(SqliteDatabase.layer({ path, ...options })))

tradeStoreContract("SqliteTradeStore (file)", () => storeAt(freshPath()))

describe("SqliteTradeStore", () => {
  it.effect("what was committed is there after the database is closed and reopened", () =>
    Effect.gen(function*() {
      const path = freshPath()
      const batch = storeBatch("ev-1", {
        upsertOpenTrades: [openTradeRecord("t-1")],
        closes: [closedTradeRecord("c-1", 1000, { orphan: true, entry_price: null })]
      })
      yield* Effect.flatMap(TradeStore, (store) => store.commit(batch)).pipe(Effect.provide(storeAt(path)))
      const reopened = yield* Effect.flatMap(TradeStore, (store) =>
        Effect.all({ open: store.openTrades, closes: store.closedTrades(), seen: store.isProcessed("ev-1"), again: store.commit(batch) })
      ).pipe(Effect.provide(storeAt(path)))
      expect(reopened).toEqual({ open: batch.upsertOpenTrades, closes: batch.closes, seen: true, again: "duplicate" })
    }))

  it.effect("a commit blocked by another process's lock fails retryable, and succeeds once it is free", () =>
    Effect.gen(function*() {
      const path = freshPath()
      yield* Effect.flatMap(TradeStore, (store) =>
        Effect.gen(function*() {
          const other = new BetterSqlite3(path)
          other.exec("BEGIN IMMEDIATE")
          const error = yield* Effect.flip(store.commit(storeBatch("ev-1", { upsertOpenTrades: [openTradeRecord("t-1")] })))
          other.exec("ROLLBACK")
          other.close()
          expect(error).toBeInstanceOf(StoreError)
          expect(error.retryable).toBe(true)
          expect(error.reason).toMatch(/SQLITE_BUSY/)
          expect(yield* store.isProcessed("ev-1")).toBe(false)
          expect(yield* store.commit(storeBatch("ev-1", { upsertOpenTrades: [openTradeRecord("t-1")] }))).toBe("committed")
        })
      ).pipe(Effect.provide(storeAt(path, { busyTimeoutMs: 50 })))
    }))

  it.effect("operations after the layer's scope closed fail with a StoreError, not a crash", () =>
    Effect.gen(function*() {
      const store = yield* Effect.scoped(Effect.map(Layer.build(storeAt(freshPath())), Context.get(TradeStore)))
      const error = yield* Effect.flip(store.counts)
      expect(error._tag).toBe("StoreError")
      expect(error.retryable).toBe(false)
    }))
})
