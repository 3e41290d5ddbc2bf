import { type ClosedTradeRecord, CloseRollup, RealizedBuckets, RollupQuery, StoreError, TradeStore } from "@portfolio/core"
import { closedTradeRecord, openTradeRecord, parkedCloseRecord, storeBatch, tradeStoreContract } from "@portfolio/core/testing"
import { expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Kysely, PostgresDialect } from "kysely"
import pg from "pg"
import { PostgresDatabase, PostgresMigrations, PostgresTradeStore } from "../src/index.js"
import { admin, describePostgres, testUrl, url, useSchemas } from "./fixtures/Postgres.js"

const { freshSchema, onFreshSchema } = useSchemas("trades")

const storeOn = (options: PostgresDatabase.Options) =>
  PostgresTradeStore.layer.pipe(Layer.provide(PostgresDatabase.layer(options)))

describePostgres("PostgresTradeStore", () => {
  // Each test on an empty database of its own: a fresh schema, migrated, dropped afterwards.
  // (20 runs of each property here: each run migrates and drops a schema of its own.)
  tradeStoreContract("PostgresTradeStore (a schema per test)", () => onFreshSchema(storeOn), { propertyRuns: 20 })

  // Each test as a new account of one shared schema, beside the rows of every earlier test's
  // account: any statement that forgot its account_id would see them and fail the contract.
  const shared = freshSchema()
  let accounts = 0
  tradeStoreContract("PostgresTradeStore (an account per test, one shared schema)", () =>
    storeOn({ url, schema: shared, accountId: `account-${++accounts}` }))

  it.effect("what was committed is there after the pool is closed and reopened", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const batch = storeBatch("ev-1", {
        upsertOpenTrades: [openTradeRecord("t-1")],
        closes: [closedTradeRecord("c-1", 1000, { orphan: true, entry_price: null })]
      })
      yield* Effect.flatMap(TradeStore, (store) => store.commit(batch)).pipe(Effect.provide(storeOn({ url, schema })))
      const reopened = yield* Effect.flatMap(TradeStore, (store) =>
        Effect.all({ open: store.openTrades, closes: store.closedTrades(), seen: store.isProcessed("ev-1"), again: store.commit(batch) })
      ).pipe(Effect.provide(storeOn({ url, schema })))
      expect(reopened).toEqual({ open: batch.upsertOpenTrades, closes: batch.closes, seen: true, again: "duplicate" })
    }))

  it.effect("two accounts in one database see only their own rows, keys, buckets, marks and parked closes", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const alice = yield* Effect.map(Layer.build(storeOn({ url, schema, accountId: "alice" })), Context.get(TradeStore))
      const bob = yield* Effect.map(Layer.build(storeOn({ url, schema, accountId: "bob" })), Context.get(TradeStore))
      // The same keys and ids in both accounts: no clash, no duplicate across accounts.
      const batchOf = (pnl: number) =>
        storeBatch("ev-1", {
          upsertOpenTrades: [openTradeRecord("t-1", { size: pnl })],
          closes: [closedTradeRecord("c-1", 1_700_000_000_000, { realized_pnl: pnl })],
          parkCloses: [parkedCloseRecord("ev-park", "t-9", { parked_at: pnl })]
        })
      expect(yield* alice.commit(batchOf(10))).toBe("committed")
      expect(yield* bob.commit(batchOf(-3))).toBe("committed")
      expect(yield* bob.commit(batchOf(-3))).toBe("duplicate")
      yield* alice.saveMarks([{ symbol: "BTCUSDT", price: 100, at: 1 }])
      yield* bob.saveMarks([{ symbol: "ETHUSDT", price: 5, at: 1 }])
      yield* alice.commit(storeBatch("ev-alice-only", { fills: [] }))

      expect((yield* alice.openTrades).map((t) => t.size)).toEqual([10])
      expect((yield* bob.openTrades).map((t) => t.size)).toEqual([-3])
      expect((yield* alice.closedTrades()).map((c) => c.realized_pnl)).toEqual([10])
      expect((yield* bob.realizedBuckets).map((b) => b.realized_pnl)).toEqual([-3])
      expect((yield* alice.parkedCloses).map((p) => p.parked_at)).toEqual([10])
      expect(yield* alice.marks).toEqual([{ symbol: "BTCUSDT", price: 100, at: 1 }])
      expect(yield* bob.marks).toEqual([{ symbol: "ETHUSDT", price: 5, at: 1 }])
      expect(yield* bob.processedAmong(["ev-1", "ev-alice-only"])).toEqual(new Set(["ev-1"]))
      expect(yield* alice.counts).toEqual({ openTrades: 1, closes: 1, fills: 0, events: 2, parked: 1 })
      expect(yield* bob.counts).toEqual({ openTrades: 1, closes: 1, fills: 0, events: 1, parked: 1 })

      // Deletes and releases of one account leave the other's rows alone.
      yield* bob.commit(storeBatch("ev-2", { deleteOpenTrades: ["t-1"], releaseParked: ["ev-park"] }))
      expect((yield* alice.openTrades).length).toBe(1)
      expect((yield* alice.parkedCloses).length).toBe(1)
      expect(yield* bob.counts).toEqual({ openTrades: 0, closes: 1, fills: 0, events: 2, parked: 0 })
    }).pipe(Effect.scoped))

  it.effect("a statement past the statement timeout fails retryable (57014), and the store goes on", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      yield* Effect.flatMap(TradeStore, (store) =>
        Effect.gen(function*() {
          // Another session inserts the same key and holds its transaction open: our insert waits on it.
          const other = new pg.Client({ connectionString: testUrl, options: `-c search_path=${schema}` })
          yield* Effect.promise(async () => {
            await other.connect()
            await other.query("begin")
            await other.query("insert into processed_events values ('default', 'ev-1', 'trade.opened', 0)")
          })
          const error = yield* Effect.flip(store.commit(storeBatch("ev-1", { upsertOpenTrades: [openTradeRecord("t-1")] })))
          yield* Effect.promise(async () => {
            await other.query("rollback")
            await other.end()
          })
          expect(error).toBeInstanceOf(StoreError)
          expect(error.retryable).toBe(true)
          expect(error.reason).toMatch(/57014|statement timeout/)
          expect(yield* store.isProcessed("ev-1")).toBe(false)
          expect(yield* store.commit(storeBatch("ev-1", { upsertOpenTrades: [openTradeRecord("t-1")] }))).toBe("committed")
          expect((yield* store.openTrades).map((t) => t.trade_id)).toEqual(["t-1"])
        })
      ).pipe(Effect.provide(storeOn({ url, schema, statementTimeoutMs: 300 })))
    }))

  it.effect("a constraint violation is not retryable and names the constraint, not the URL", () =>
    Effect.gen(function*() {
      const close = closedTradeRecord("c-1", 5)
      yield* Effect.flatMap(TradeStore, (store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-1", { closes: [close] }))
          const error = yield* Effect.flip(store.commit(storeBatch("ev-2", { closes: [close] })))
          expect(error.retryable).toBe(false)
          expect(error.reason).toMatch(/23505/)
          expect(error.reason).toMatch(/closed_trades_pkey/)
        })
      ).pipe(Effect.provide(onFreshSchema(storeOn)))
    }))

  it.effect("operations after the layer's scope closed fail with a StoreError, not a crash", () =>
    Effect.gen(function*() {
      const store = yield* Effect.scoped(Effect.map(Layer.build(onFreshSchema(storeOn)), Context.get(TradeStore)))
      const operations: Array<Effect.Effect<unknown, StoreError>> = [store.counts, store.commit(storeBatch("ev-1")), store.processedAmong(["ev-1"])]
      for (const operation of operations) {
        const error = yield* Effect.flip(operation)
        expect(error._tag).toBe("StoreError")
        expect(error.retryable).toBe(false)
      }
    }))

  it.effect("parked closes survive closing and reopening; released ones stay released", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const kept = parkedCloseRecord("ev-close-1", "t-1", { parked_at: 1_700_000_000_001 })
      const released = parkedCloseRecord("ev-close-2", "t-2", { parked_at: 1_700_000_000_000 })
      yield* Effect.flatMap(TradeStore, (store) =>
        store.commitMany([
          storeBatch("ev-close-1", { eventType: "trade.closed", parkCloses: [kept] }),
          storeBatch("ev-close-2", { eventType: "trade.closed", parkCloses: [released] }),
          storeBatch("ev-open-2", { upsertOpenTrades: [openTradeRecord("t-2")] }),
          storeBatch(undefined, { deleteOpenTrades: ["t-2"], closes: [closedTradeRecord("c-2", 5)], releaseParked: ["ev-close-2"] })
        ])).pipe(Effect.provide(storeOn({ url, schema })))
      const reopened = yield* Effect.flatMap(TradeStore, (store) =>
        Effect.all({
          parked: store.parkedCloses,
          counts: store.counts,
          seen: store.processedAmong(["ev-close-1", "ev-close-2", "ev-open-2", "ev-other"]),
          again: store.commit(storeBatch("ev-close-1", { parkCloses: [kept] }))
        })).pipe(Effect.provide(storeOn({ url, schema })))
      expect(reopened).toEqual({
        parked: [kept],
        counts: { openTrades: 0, closes: 1, fills: 0, events: 3, parked: 1 },
        seen: new Set(["ev-close-1", "ev-close-2", "ev-open-2"]),
        again: "duplicate"
      })
    }))

  it.effect("migration 0006 backfills the close rollup of each account from the closes already stored", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const closesOf = (account: number) =>
        Array.from({ length: 300 }, (_, i) =>
          closedTradeRecord(`c${String(i).padStart(3, "0")}`, Date.UTC(2026, 0, 1) + ((i * 7_919_000 * (account + 1)) % (4 * 86_400_000)), {
            symbol: ["BTCUSDT", "ETHUSDT", "SOLUSDT"][(i + account) % 3]!,
            realized_pnl: ((i * 37) % 201) - 100 + 0.1 * account,
            round_trip_pnl: i % 4 === 0 ? null : i % 7 === 0 ? 0 : ((i * 37) % 201) - 100 + 0.1 * account
          }))
      const accounts = ["default", "other"] as const
      yield* Effect.promise(async () => {
        const pool = new pg.Pool({ connectionString: testUrl, options: `-c search_path=${schema}` })
        const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
        await kysely.schema.createSchema(schema).execute()
        const { error } = await PostgresMigrations.migrator(kysely, schema).migrateTo("0005_daily_marks")
        if (error !== undefined) throw error
        for (const [k, account_id] of accounts.entries()) {
          await kysely.insertInto("closed_trades").values(closesOf(k).map((close) => ({ account_id, ...close }))).execute()
        }
        await kysely.destroy()
      })
      for (const [k, accountId] of accounts.entries()) {
        const reference = CloseRollup.fromCloses(closesOf(k))
        const rows = yield* Effect.flatMap(TradeStore, (store) =>
          Effect.forEach(CloseRollup.SPANS.flatMap((span) => [false, true].map((bySymbol) => ({ span, bySymbol }))), (range) => store.closeRollup(range)))
          .pipe(Effect.provide(storeOn({ url, schema, accountId })))
        expect(rows).toEqual(CloseRollup.SPANS.flatMap((span) => [false, true].map((bySymbol) => RollupQuery.select(reference, { span, bySymbol }))))
        expect(rows[0]!.length).toBeGreaterThan(4 * 40)
      }
    }))

  it.effect("migration 0003 backfills round_trip_pnl of the closes already stored, per account and trade", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const stored: Array<[ClosedTradeRecord, number | null]> = [
        [closedTradeRecord("a-fee", 1_000, { trade_id: "t-a", quantity: 0, realized_pnl: -0.5, fees: 0.5, remaining_size: 2 }), null],
        [closedTradeRecord("a-1", 2_000, { trade_id: "t-a", quantity: 1, remaining_size: 1, realized_pnl: 10 }), null],
        [closedTradeRecord("a-2", 3_000, { trade_id: "t-a", quantity: 1, realized_pnl: 6 }), 15.5],
        [closedTradeRecord("b-fee", 1_500, { trade_id: "t-b", quantity: 0, realized_pnl: -0.3, fees: 0.3, remaining_size: 1 }), null],
        [closedTradeRecord("b-1", 2_500, { trade_id: "t-b", quantity: 1, entry_price: 3_000, realized_pnl: 0.1 + 0.2 }), 0],
        [closedTradeRecord("c-1", 4_000, { trade_id: "t-c", realized_pnl: -3 }), -3],
        [closedTradeRecord("d-1", 4_500, { trade_id: "t-d", quantity: 0.5, remaining_size: 0.5, realized_pnl: 2 }), null],
        [closedTradeRecord("o-1", 5_000, { trade_id: "t-o", quantity: 0, orphan: true, realized_pnl: 7, entry_price: null, opened_at: null }), 7],
        [closedTradeRecord("f-1", 6_000, { trade_id: "SOLUSDT:LONG", realized_pnl: 4 }), 4],
        [closedTradeRecord("f-2", 7_000, { trade_id: "SOLUSDT:LONG", realized_pnl: -1 }), 3]
      ]
      // A database written at 0002 (no round_trip_pnl), with the same trade ids in another account.
      yield* Effect.promise(async () => {
        const pool = new pg.Pool({ connectionString: testUrl, options: `-c search_path=${schema}` })
        const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
        await kysely.schema.createSchema(schema).execute()
        const { error } = await PostgresMigrations.migrator(kysely, schema).migrateTo("0002_last_prices")
        if (error !== undefined) throw error
        for (const account_id of ["default", "other"]) {
          for (const [close] of stored) {
            const { round_trip_pnl: _, ...row } = close
            await kysely.insertInto("closed_trades").values({ account_id, ...row, realized_pnl: account_id === "other" ? 1 : row.realized_pnl }).execute()
          }
        }
        await kysely.destroy()
      })
      const expected = stored
        .map(([close, round_trip_pnl]) => ({ ...close, round_trip_pnl }))
        .sort((a, b) => a.closed_at - b.closed_at)
      const after = yield* Effect.flatMap(TradeStore, (store) =>
        Effect.all({ buckets: store.realizedBuckets, closes: store.closedTrades() })).pipe(Effect.provide(storeOn({ url, schema })))
      expect(after.closes).toEqual(expected)
      expect(after.buckets).toEqual(RealizedBuckets.fromCloses(expected))
      expect(after.buckets[0]).toMatchObject({ round_trips: 6, wins: 4, losses: 1, breakevens: 1, best: 15.5, worst: -3 })
      const other = yield* Effect.flatMap(TradeStore, (store) => store.closedTrades()).pipe(
        Effect.provide(storeOn({ url, schema, accountId: "other" }))
      )
      expect(other.find((c) => c.close_id === "a-2")?.round_trip_pnl).toBe(3)
    }))

  it.effect("the statements carry the account: every table's key and index starts with account_id", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      yield* Effect.flatMap(TradeStore, (store) => store.ping).pipe(Effect.provide(storeOn({ url, schema })))
      const indexes = yield* Effect.promise(() =>
        admin<{ tablename: string; indexname: string; indexdef: string }>(
          "select tablename, indexname, indexdef from pg_indexes where schemaname = $1 and tablename not like 'kysely%' order by 1, 2",
          [schema]
        ))
      const tables = new Set(indexes.rows.map((r) => r.tablename))
      expect([...tables].sort()).toEqual([
        "close_rollup",
        "closed_trades",
        "daily_marks",
        "equity_extremes",
        "equity_rollup",
        "equity_samples",
        "fills",
        "last_prices",
        "net_positions",
        "open_trades",
        "parked_closes",
        "processed_events",
        "realized_buckets"
      ])
      for (const { indexdef, indexname } of indexes.rows) {
        if (indexname === "equity_samples_by_at") expect(indexdef).toMatch(/USING brin \(at\)/)
        else expect(indexdef).toMatch(/USING btree \(account_id[,)]/)
      }
    }))
})
