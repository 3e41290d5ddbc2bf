import { type ClosedTradeRecord, CloseRollup, RealizedBuckets, RollupQuery, StoreError, TradeStore } from "@portfolio/core"
import { closedTradeRecord, openTradeRecord, parkedCloseRecord, storeBatch, tradeStoreContract } from "@portfolio/core/testing"
import { describe, expect, it } from "@effect/vitest"
import BetterSqlite3 from "better-sqlite3"
import { Context, Effect, Layer } from "effect"
import { Kysely, SqliteDialect } from "kysely"
import * as RecordRows from "../src/internal/RecordRows.js"
import * as CloseRollupMigration from "../src/migrations/0006_close_rollup.js"
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

  it.effect("migration 0003 backfills round_trip_pnl of the closes already stored: Σ of the trade's closes on the one that ends it", () =>
    Effect.gen(function*() {
      const path = freshPath()
      // As stored by the previous version (no round_trip_pnl), with what the backfill must give.
      const stored: Array<[ClosedTradeRecord, number | null]> = [
        // t-a: opening fee, partial close, final close: −0.5 + 10 + 6.
        [closedTradeRecord("a-fee", 1_000, { trade_id: "t-a", quantity: 0, realized_pnl: -0.5, fees: 0.5, remaining_size: 2 }), null],
        [closedTradeRecord("a-1", 2_000, { trade_id: "t-a", quantity: 1, remaining_size: 1, realized_pnl: 10 }), null],
        [closedTradeRecord("a-2", 3_000, { trade_id: "t-a", quantity: 1, realized_pnl: 6 }), 15.5],
        // t-b: a fee and a close that earns it back, within dust of 0: a break-even, exactly 0.
        [closedTradeRecord("b-fee", 1_500, { trade_id: "t-b", quantity: 0, realized_pnl: -0.3, fees: 0.3, remaining_size: 1 }), null],
        [closedTradeRecord("b-1", 2_500, { trade_id: "t-b", quantity: 1, entry_price: 3_000, realized_pnl: 0.1 + 0.2 }), 0],
        // t-c: a one-close loss; t-d: a partial close whose trade is still open.
        [closedTradeRecord("c-1", 4_000, { trade_id: "t-c", realized_pnl: -3 }), -3],
        [closedTradeRecord("d-1", 4_500, { trade_id: "t-d", quantity: 0.5, remaining_size: 0.5, realized_pnl: 2 }), null],
        // An orphan close without a quantity: its own round trip.
        [closedTradeRecord("o-1", 5_000, { trade_id: "t-o", quantity: 0, orphan: true, realized_pnl: 7, entry_price: null, opened_at: null }), 7],
        // Fills mode: SOLUSDT:LONG, flat twice; the second round trip's sum takes in the first (the documented approximation).
        [closedTradeRecord("f-1", 6_000, { trade_id: "SOLUSDT:LONG", realized_pnl: 4 }), 4],
        [closedTradeRecord("f-2", 7_000, { trade_id: "SOLUSDT:LONG", realized_pnl: -1 }), 3]
      ]
      // A database written by the previous version: migrated up to 0002, closes without the column.
      yield* Effect.promise(async () => {
        const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) })
        const { error } = await SqliteMigrations.migrator(kysely).migrateTo("0002_last_prices")
        if (error !== undefined) throw error
        for (const [close] of stored) {
          const { round_trip_pnl: _, ...row } = RecordRows.closeToRow(close)
          await kysely.insertInto("closed_trades").values(row).execute()
        }
        await kysely.destroy()
      })
      const expected = stored
        .map(([close, round_trip_pnl]) => ({ ...close, round_trip_pnl }))
        .sort((a, b) => a.closed_at - b.closed_at)
      const after = yield* Effect.flatMap(TradeStore, (store) =>
        Effect.all({ buckets: store.realizedBuckets, closes: store.closedTrades() })).pipe(Effect.provide(storeAt(path)))
      expect(after.closes).toEqual(expected)
      expect(after.buckets).toEqual(RealizedBuckets.fromCloses(expected))
      expect(after.buckets[0]).toMatchObject({ round_trips: 6, wins: 4, losses: 1, breakevens: 1, best: 15.5, worst: -3 })
    }))

  it.effect("migration 0006 backfills the close rollup from the closes already stored, as the commits would keep it", () =>
    Effect.gen(function*() {
      const path = freshPath()
      // 400 closes over five days, three symbols, partial closes, break-evens, some at a boundary.
      const closes = Array.from({ length: 400 }, (_, i) =>
        closedTradeRecord(`c${String(i).padStart(3, "0")}`, Date.UTC(2026, 0, 1) + ((i * 7_919_000) % (5 * 86_400_000)) - (i % 5 === 0 ? (i * 7_919_000) % 900_000 : 0), {
          symbol: ["BTCUSDT", "ETHUSDT", "SOLUSDT"][i % 3]!,
          realized_pnl: ((i * 37) % 201) - 100 + 0.1,
          round_trip_pnl: i % 4 === 0 ? null : i % 7 === 0 ? 0 : ((i * 37) % 201) - 100 + 0.1
        }))
      const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) })
      yield* Effect.promise(async () => {
        const { error } = await SqliteMigrations.migrator(kysely).migrateTo("0005_daily_marks")
        if (error !== undefined) throw error
        for (const close of closes) await kysely.insertInto("closed_trades").values(RecordRows.closeToRow(close)).execute()
      })
      const read = Effect.flatMap(TradeStore, (store) =>
        Effect.forEach(CloseRollup.SPANS.flatMap((span) => [false, true].map((bySymbol) => ({ span, bySymbol }))), (range) => store.closeRollup(range)))
      const reference = CloseRollup.fromCloses(closes)
      const expected = CloseRollup.SPANS.flatMap((span) => [false, true].map((bySymbol) => RollupQuery.select(reference, { span, bySymbol })))
      expect(yield* read.pipe(Effect.provide(storeAt(path)))).toEqual(expected)
      // Page by page (7 closes a page here), a row written once the closes have passed it: the same rows.
      yield* Effect.promise(async () => {
        await kysely.deleteFrom("close_rollup").execute()
        await CloseRollupMigration.backfill(kysely, 7)
        await kysely.destroy()
      })
      expect(yield* read.pipe(Effect.provide(storeAt(path)))).toEqual(expected)
      expect(expected[0]!.length).toBeGreaterThan(5 * 50)
    }))

  it.effect("the rollup rows a store keeps in memory hide neither another connection's commits nor a rolled-back one", () =>
    Effect.gen(function*() {
      const path = freshPath()
      const T = Date.UTC(2026, 0, 5, 10, 0, 0)
      const close = (id: string, at: number, symbol: string, pnl: number) =>
        closedTradeRecord(id, at, { symbol, realized_pnl: pnl, round_trip_pnl: pnl })
      const rollupOf = (store: TradeStore["Type"]) =>
        Effect.forEach(CloseRollup.SPANS.flatMap((span) => [false, true].map((bySymbol) => ({ span, bySymbol }))), (range) => store.closeRollup(range))
      const expectedOf = (closes: ReadonlyArray<ClosedTradeRecord>) => {
        const reference = CloseRollup.fromCloses(closes)
        return CloseRollup.SPANS.flatMap((span) => [false, true].map((bySymbol) => RollupQuery.select(reference, { span, bySymbol })))
      }
      const a = Context.get(yield* Layer.build(storeAt(path)), TradeStore)
      const b = Context.get(yield* Layer.build(storeAt(path)), TradeStore)
      const c1 = close("c1", T, "BTCUSDT", 10)
      const c2 = close("c2", T + 1, "BTCUSDT", -4)
      const c3 = close("c3", T + 2, "BTCUSDT", 7)
      yield* a.commit(storeBatch("e1", { closes: [c1] }))
      // Another connection continues the rows `a` keeps: `a` must read them again.
      yield* b.commit(storeBatch("e2", { closes: [c2] }))
      yield* a.commit(storeBatch("e3", { closes: [c3] }))
      expect(yield* rollupOf(a)).toEqual(expectedOf([c1, c2, c3]))

      // A commit that fails after some of its rollup rows were written (the every-symbol rows
      // come before the symbol's): rolled back, and what `a` kept of them forgotten.
      // (The trigger stays: dropping it would be another connection's write, which `a` notices anyway.)
      const raw = new BetterSqlite3(path)
      raw.exec(`create trigger boom before insert on close_rollup when new.symbol = 'BOOMUSDT' begin select raise(abort, 'boom'); end`)
      raw.close()
      const failed = yield* Effect.either(a.commit(storeBatch("e4", { closes: [close("c4", T + 3, "BOOMUSDT", 1_000)] })))
      expect(failed._tag).toBe("Left")
      const c5 = close("c5", T + 4, "BTCUSDT", 2)
      yield* a.commit(storeBatch("e5", { closes: [c5] }))
      expect(yield* rollupOf(a)).toEqual(expectedOf([c1, c2, c3, c5]))
      expect(yield* rollupOf(b)).toEqual(expectedOf([c1, c2, c3, c5]))
    }).pipe(Effect.scoped))
})

