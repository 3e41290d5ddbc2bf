import { TradeStore } from "@portfolio/core"
import { openTradeRecord, storeBatch } from "@portfolio/core/testing"
import { describe, expect, it } from "@effect/vitest"
import BetterSqlite3 from "better-sqlite3"
import { ConfigProvider, Context, Effect, Exit, Layer } from "effect"
import { randomBytes } from "node:crypto"
import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { SqliteDatabase, SqliteMigrations, SqliteStore } from "../src/index.js"
import { useTempDir } from "./fixtures/TempDir.js"

const { dir, freshPath } = useTempDir()

/** Opens the database at `path`, runs `body` on it, closes it. */
const withDatabase = <A, E>(options: SqliteDatabase.Options, body: (db: SqliteDatabase.SqliteDatabaseService) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(SqliteDatabase.make(options), body))

/** The error of opening `path`, which must fail. */
const openError = (path: string) =>
  Effect.flip(Effect.scoped(SqliteDatabase.make({ path })))

describe("SqliteDatabase", () => {
  it.effect("a new file is created (with its parent directories), in WAL mode, fully synchronous, migrated", () =>
    Effect.gen(function*() {
      const path = join(dir, "nested", "deeper", "portfolio.db")
      const seen = yield* withDatabase({ path }, (db) =>
        Effect.sync(() => ({
          path: db.path,
          version: db.schemaVersion,
          journal: db.sqlite.pragma("journal_mode", { simple: true }),
          synchronous: db.sqlite.pragma("synchronous", { simple: true })
        })))
      expect(seen).toEqual({ path, version: SqliteMigrations.latest, journal: "wal", synchronous: 2 })
      expect(SqliteMigrations.latest).toBe("0006_close_rollup")
      expect(existsSync(path)).toBe(true)
    }))

  it.effect("synchronous NORMAL is applied when asked", () =>
    Effect.gen(function*() {
      const level = yield* withDatabase({ path: freshPath(), synchronous: "NORMAL" }, (db) =>
        Effect.sync(() => db.sqlite.pragma("synchronous", { simple: true })))
      expect(level).toBe(1)
    }))

  it.effect("migrations are idempotent: opening twice keeps the data and records the version once", () =>
    Effect.gen(function*() {
      const path = freshPath()
      const stores = SqliteStore.layer({ path })
      yield* Effect.flatMap(TradeStore, (s) => s.commit(storeBatch("ev-1", { upsertOpenTrades: [openTradeRecord("t-1")] }))).pipe(
        Effect.provide(stores)
      )
      const second = yield* Effect.flatMap(Effect.all([TradeStore, SqliteDatabase.SqliteDatabase]), ([s, db]) =>
        Effect.map(s.openTrades, (open) => ({ open: open.map((t) => t.trade_id), version: db.schemaVersion }))).pipe(
        Effect.provide(stores)
      )
      expect(second).toEqual({ open: ["t-1"], version: "0006_close_rollup" })
      const raw = new BetterSqlite3(path, { readonly: true })
      const recorded = raw.prepare("select name from kysely_migration order by name").all()
      raw.close()
      expect(recorded).toEqual([{ name: "0001_initial" }, { name: "0002_last_prices" }, { name: "0003_parked_closes" }, { name: "0004_equity_rollup" }, { name: "0005_daily_marks" }, { name: "0006_close_rollup" }])
    }))

  it.effect("a file of random bytes fails at start with NotADatabase, naming the path", () =>
    Effect.gen(function*() {
      const path = freshPath("corrupt")
      writeFileSync(path, randomBytes(16_384))
      const error = yield* openError(path)
      expect(error._tag).toBe("SqliteDatabaseError")
      expect(error.problem).toBe("NotADatabase")
      expect(error.path).toBe(path)
      expect(error.message).toContain(path)
      expect(error.message).toMatch(/not an SQLite database/)
    }))

  it.effect("another application's SQLite file fails at start with ForeignSchema, naming the path and its tables", () =>
    Effect.gen(function*() {
      const path = freshPath("foreign")
      const other = new BetterSqlite3(path)
      other.exec("create table users (id integer primary key, email text not null)")
      other.prepare("insert into users (email) values (?)").run("a@example.com")
      other.close()
      const error = yield* openError(path)
      expect(error.problem).toBe("ForeignSchema")
      expect(error.message).toContain(path)
      expect(error.message).toContain("users")
      // Left untouched: no migration ran on it.
      const check = new BetterSqlite3(path, { readonly: true })
      const tables = check.prepare("select name from sqlite_master where type = 'table' order by name").all()
      check.close()
      expect(tables).toEqual([{ name: "users" }])
    }))

  it.effect("a database written by a newer version (unknown migrations) fails at start with UnknownMigrations", () =>
    Effect.gen(function*() {
      const path = freshPath("newer")
      yield* withDatabase({ path }, () => Effect.void)
      const raw = new BetterSqlite3(path)
      raw.prepare("insert into kysely_migration (name, timestamp) values (?, ?)").run("9999_future", new Date().toISOString())
      raw.close()
      const error = yield* openError(path)
      expect(error.problem).toBe("UnknownMigrations")
      expect(error.message).toContain(path)
      expect(error.message).toContain("9999_future")
    }))

  it.effect("a path that cannot be created fails at start with CannotOpen", () =>
    Effect.gen(function*() {
      const blocker = join(dir, "a-file")
      writeFileSync(blocker, "not a directory")
      const error = yield* openError(join(blocker, "portfolio.db"))
      expect(error.problem).toBe("CannotOpen")
      expect(error.message).toContain(join(blocker, "portfolio.db"))
    }))

  it.effect(":memory: opens a private, migrated database", () =>
    Effect.gen(function*() {
      const version = yield* withDatabase({ path: ":memory:" }, (db) => Effect.succeed([db.path, db.schemaVersion]))
      expect(version).toEqual([":memory:", "0006_close_rollup"])
    }))

  it.effect("the connection closes when the layer's scope closes", () =>
    Effect.gen(function*() {
      const db = yield* Effect.scoped(Effect.map(Layer.build(SqliteDatabase.layer({ path: freshPath() })), Context.get(SqliteDatabase.SqliteDatabase)))
      expect(db.sqlite.open).toBe(false)
    }))

  it.effect("layerConfig reads PORTFOLIO_TRADE_STORE_DB_PATH and PORTFOLIO_TRADE_STORE_SYNCHRONOUS", () =>
    Effect.gen(function*() {
      const path = freshPath("configured")
      const provider = ConfigProvider.fromMap(new Map([
        ["PORTFOLIO_TRADE_STORE_DB_PATH", path],
        ["PORTFOLIO_TRADE_STORE_SYNCHRONOUS", "normal"]
      ]))
      const seen = yield* Effect.scoped(
        Effect.map(Layer.build(SqliteDatabase.layerConfig), (ctx) => {
          const db = Context.get(ctx, SqliteDatabase.SqliteDatabase)
          return [db.path, db.sqlite.pragma("synchronous", { simple: true })]
        })
      ).pipe(Effect.withConfigProvider(provider))
      expect(seen).toEqual([path, 1])
    }))

  it.effect("config defaults: ./data/portfolio.db, FULL, 5000 ms", () =>
    Effect.gen(function*() {
      const options = yield* SqliteDatabase.config.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map())))
      expect(options).toEqual({ path: "./data/portfolio.db", synchronous: "FULL", busyTimeoutMs: 5000 })
    }))

  it.effect("a bad PORTFOLIO_TRADE_STORE_SYNCHRONOUS fails with an error naming the variable", () =>
    Effect.gen(function*() {
      const provider = ConfigProvider.fromMap(new Map([["PORTFOLIO_TRADE_STORE_SYNCHRONOUS", "sometimes"]]))
      const exit = yield* Effect.exit(SqliteDatabase.config.pipe(Effect.withConfigProvider(provider)))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) ? exit.cause : "")).toContain("PORTFOLIO_TRADE_STORE_SYNCHRONOUS")
    }))
})
