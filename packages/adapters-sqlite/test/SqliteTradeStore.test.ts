import { RealizedBuckets, StoreError, TradeStore } from "@portfolio/core"
import { closedTradeRecord, openTradeRecord, parkedCloseRecord, storeBatch, tradeStoreContract } from "@portfolio/core/testing"
import { describe, expect, it } from "@effect/vitest"
import BetterSqlite3 from "better-sqlite3"
import { Context, Effect, Layer } from "effect"
import { Kysely, SqliteDialect } from "kysely"
import * as RecordRows from "../src/internal/RecordRows.js"
import { SqliteDatabase, SqliteMigrations, SqliteTradeStore } from "../src/index.js"
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

  it.effect("parked closes survive closing and reopening; released ones stay released", () =>
    Effect.gen(function*() {
      const path = freshPath()
      const kept = parkedCloseRecord("ev-close-1", "t-1", { parked_at: 1_700_000_000_001 })
      const released = parkedCloseRecord("ev-close-2", "t-2", { parked_at: 1_700_000_000_000 })
      yield* Effect.flatMap(TradeStore, (store) =>
        store.commitMany([
          storeBatch("ev-close-1", { eventType: "trade.closed", parkCloses: [kept] }),
          storeBatch("ev-close-2", { eventType: "trade.closed", parkCloses: [released] }),
          storeBatch("ev-open-2", { upsertOpenTrades: [openTradeRecord("t-2")] }),
          storeBatch(undefined, { deleteOpenTrades: ["t-2"], closes: [closedTradeRecord("c-2", 5)], releaseParked: ["ev-close-2"] })
        ])).pipe(Effect.provide(storeAt(path)))
      const reopened = yield* Effect.flatMap(TradeStore, (store) =>
        Effect.all({
          parked: store.parkedCloses,
          counts: store.counts,
          seen: store.processedAmong(["ev-close-1", "ev-close-2", "ev-open-2", "ev-other"]),
          again: store.commit(storeBatch("ev-close-1", { parkCloses: [kept] }))
        })).pipe(Effect.provide(storeAt(path)))
      expect(reopened).toEqual({
        parked: [kept],
        counts: { openTrades: 0, closes: 1, fills: 0, events: 3, parked: 1 },
        seen: new Set(["ev-close-1", "ev-close-2", "ev-open-2"]),
        again: "duplicate"
      })
    }))

  it.effect("migration 0003 marks the closes already stored as trade closes by the core's rule", () =>
    Effect.gen(function*() {
      const path = freshPath()
      const closes = [
        closedTradeRecord("c-trade", 1_000, { realized_pnl: 12.5 }),
        closedTradeRecord("c-loss", 2_000, { realized_pnl: -3 }),
        closedTradeRecord("c-fee", 3_000, { quantity: 0, realized_pnl: -0.5, fees: 0.5 }),
        closedTradeRecord("c-orphan", 4_000, { quantity: 0, orphan: true, realized_pnl: 7, entry_price: null, opened_at: null })
      ]
      // A database written by the previous version: migrated up to 0002, closes without the flag.
      yield* Effect.promise(async () => {
        const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) })
        const { error } = await SqliteMigrations.migrator(kysely).migrateTo("0002_last_prices")
        if (error !== undefined) throw error
        for (const close of closes) {
          const { is_trade_close: _, ...row } = RecordRows.closeToRow(close)
          await kysely.insertInto("closed_trades").values(row).execute()
        }
        await kysely.destroy()
      })
      const after = yield* Effect.flatMap(TradeStore, (store) =>
        Effect.all({ buckets: store.realizedBuckets, closes: store.closedTrades() })).pipe(Effect.provide(storeAt(path)))
      expect(after.closes).toEqual(closes)
      expect(after.buckets).toEqual(RealizedBuckets.fromCloses(closes))
      expect(after.buckets[0]).toMatchObject({ trade_closes: 3, wins: 2, losses: 1, best: 12.5, worst: -3 })
      const raw = new BetterSqlite3(path, { readonly: true })
      const flags = raw.prepare("select close_id, is_trade_close from closed_trades order by close_id").all()
      raw.close()
      expect(flags).toEqual([
        { close_id: "c-fee", is_trade_close: 0 },
        { close_id: "c-loss", is_trade_close: 1 },
        { close_id: "c-orphan", is_trade_close: 1 },
        { close_id: "c-trade", is_trade_close: 1 }
      ])
    }))
})
