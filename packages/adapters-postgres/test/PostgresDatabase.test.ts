import { TradeStore } from "@portfolio/core"
import { closedTradeRecord, storeBatch } from "@portfolio/core/testing"
import { expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Effect, Exit, Layer, Redacted } from "effect"
import { inspect } from "node:util"
import { PostgresDatabase, PostgresMigrations, PostgresStore } from "../src/index.js"
import { admin, describePostgres, testUrl, url, useSchemas } from "./fixtures/Postgres.js"

const { freshSchema } = useSchemas("database")

const open = (options: PostgresDatabase.Options) =>
  Effect.map(Layer.build(PostgresDatabase.layer(options)), Context.get(PostgresDatabase.PostgresDatabase))

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

/** Every way an error could be shown: none may contain `secret`. */
const shownForms = (error: unknown): Array<string> => [
  String(error),
  (error as Error).message ?? "",
  JSON.stringify(error) ?? "",
  inspect(error, { depth: Infinity }),
  inspect(Exit.fail(error), { depth: Infinity })
]

const password = "Sup3r-S3cret-pw%2Fx"

describePostgres("PostgresDatabase", () => {
  it.effect("migrates a new schema to the latest version; opening it again runs nothing and keeps the data", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const first = yield* open({ url, schema })
      expect(first.schemaVersion).toBe(PostgresMigrations.latest)
      expect(first.schemaVersion).toBe("0006_close_rollup")
      expect(first.accountId).toBe("default")
      yield* Effect.promise(() => first.kysely.insertInto("last_prices").values({ account_id: "x", symbol: "BTCUSDT", price: 1, at: 2 }).execute())
      const second = yield* open({ url, schema })
      expect(second.schemaVersion).toBe("0006_close_rollup")
      const recorded = yield* Effect.promise(() => admin(`select name from "${schema}".kysely_migration order by name`))
      expect(recorded.rows.map((r) => r["name"])).toEqual(["0001_initial", "0002_last_prices", "0003_parked_closes", "0004_equity_rollup", "0005_daily_marks", "0006_close_rollup"])
      const kept = yield* Effect.promise(() => second.kysely.selectFrom("last_prices").selectAll().execute())
      expect(kept).toEqual([{ account_id: "x", symbol: "BTCUSDT", price: 1, at: 2 }])
    }).pipe(Effect.scoped))

  it.effect("several instances starting at once on a new schema migrate it once (they take turns on an advisory lock)", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const opened = yield* Effect.all(
        ["a", "b", "c", "d"].map((accountId) => open({ url, schema, accountId })),
        { concurrency: "unbounded" }
      )
      expect(opened.map((db) => db.schemaVersion)).toEqual(Array(4).fill("0006_close_rollup"))
      const extremes = yield* Effect.promise(() => admin(`select account_id from "${schema}".equity_extremes order by 1`))
      expect(extremes.rows.map((r) => r["account_id"])).toEqual(["a", "b", "c", "d"])
    }).pipe(Effect.scoped))

  it.effect("a database written by a newer version (an unknown migration) is refused with a typed error", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      yield* Effect.scoped(open({ url, schema }))
      yield* Effect.promise(() =>
        admin(`insert into "${schema}".kysely_migration (name, timestamp) values ('0004_from_the_future', now()::text)`))
      const error = yield* Effect.flip(Effect.scoped(open({ url, schema })))
      expect(error._tag).toBe("PostgresDatabaseError")
      expect(error.problem).toBe("UnknownMigrations")
      expect(error.message).toMatch(/newer version/)
      expect(error.message).toContain(`schema=${schema}`)
    }))

  it.effect("a schema holding tables of ours but no migration table is refused; unrelated tables are fine", () =>
    Effect.gen(function*() {
      const foreign = freshSchema()
      yield* Effect.promise(async () => {
        await admin(`create schema "${foreign}"`)
        await admin(`create table "${foreign}".closed_trades (id int)`)
      })
      const error = yield* Effect.flip(Effect.scoped(open({ url, schema: foreign })))
      expect(error.problem).toBe("ForeignSchema")
      expect(error.message).toMatch(/closed_trades/)

      const shared = freshSchema()
      yield* Effect.promise(async () => {
        await admin(`create schema "${shared}"`)
        await admin(`create table "${shared}".users (id int)`)
      })
      expect((yield* Effect.scoped(open({ url, schema: shared }))).schemaVersion).toBe("0006_close_rollup")
    }))

  it.effect("bad options are refused before connecting", () =>
    Effect.gen(function*() {
      for (const options of [
        { url, schema: "Bad-Name" },
        { url: Redacted.make("http://127.0.0.1/test"), schema: freshSchema() },
        { url, schema: freshSchema(), accountId: "  " },
        { url, schema: freshSchema(), poolSize: 0 }
      ]) {
        const error = yield* Effect.flip(Effect.scoped(open(options)))
        expect(error.problem).toBe("InvalidOptions")
        expect(error.retryable).toBe(false)
      }
    }))

  it.effect("an unreachable server fails the layer retryable, naming host:port/database and never the URL or password", () =>
    Effect.gen(function*() {
      const secretUrl = Redacted.make(`postgres://portfolio:${password}@127.0.0.1:1/test?sslmode=disable`)
      const error = yield* Effect.flip(Effect.scoped(open({ url: secretUrl, connectTimeoutMs: 2_000 })))
      expect(error.problem).toBe("CannotConnect")
      expect(error.retryable).toBe(true)
      expect(error.where).toBe("127.0.0.1:1/test schema=public account=default")
      for (const shown of shownForms(error)) {
        expect(shown).not.toContain("Sup3r-S3cret")
        expect(shown).not.toContain(Redacted.value(secretUrl))
      }
      expect(String(secretUrl)).toBe("<redacted>")
      expect(PostgresDatabase.describe({ url: secretUrl })).not.toContain("Sup3r")
    }))

  it.effect("with a password in the URL (trust authentication ignores it), no store error or description shows it", () =>
    Effect.gen(function*() {
      const withPassword = new URL(testUrl)
      withPassword.password = password
      const secretUrl = Redacted.make(withPassword.toString())
      const schema = freshSchema()
      yield* Effect.flatMap(TradeStore, (store) =>
        Effect.gen(function*() {
          yield* store.commit(storeBatch("ev-1", { closes: [closedTradeRecord("c-1", 1)] }))
          const error = yield* Effect.flip(store.commit(storeBatch("ev-2", { closes: [closedTradeRecord("c-1", 1)] })))
          expect(error.retryable).toBe(false)
          for (const shown of shownForms(error)) expect(shown).not.toContain("Sup3r-S3cret")
        })
      ).pipe(Effect.provide(PostgresStore.layer({ url: secretUrl, schema })))
      const db = yield* open({ url: secretUrl, schema })
      expect(db.where).not.toContain("Sup3r")
      expect(inspect(db.scrub(`failed for ${withPassword.toString()}`))).not.toContain("Sup3r")
    }).pipe(Effect.scoped))

  it.effect("configuration from the environment: defaults, every variable, the URL kept Redacted", () =>
    Effect.gen(function*() {
      const minimal = yield* PostgresDatabase.config.pipe(withEnv({ PORTFOLIO_POSTGRES_URL: testUrl }))
      expect(Redacted.value(minimal.url)).toBe(testUrl)
      expect(String(minimal.url)).toBe("<redacted>")
      expect(inspect(minimal, { depth: Infinity })).not.toContain(testUrl)
      expect({ ...minimal, url: undefined }).toEqual({
        url: undefined,
        poolSize: 10,
        statementTimeoutMs: 30_000,
        schema: "public",
        accountId: "default"
      })
      const full = yield* PostgresDatabase.config.pipe(withEnv({
        PORTFOLIO_POSTGRES_URL: testUrl,
        PORTFOLIO_POSTGRES_POOL_SIZE: "4",
        PORTFOLIO_POSTGRES_STATEMENT_TIMEOUT_MS: "0",
        PORTFOLIO_POSTGRES_SCHEMA: "portfolio",
        PORTFOLIO_ACCOUNT_ID: " binance-main "
      }))
      expect({ ...full, url: undefined }).toEqual({
        url: undefined,
        poolSize: 4,
        statementTimeoutMs: 0,
        schema: "portfolio",
        accountId: "binance-main"
      })
    }))

  it.effect("a bad or missing variable fails with an error naming it, and never echoes the URL", () =>
    Effect.gen(function*() {
      const secret = `mysql://root:${password}@db/portfolio`
      const cases: Array<[Record<string, string>, string]> = [
        [{}, "PORTFOLIO_POSTGRES_URL"],
        [{ PORTFOLIO_POSTGRES_URL: secret }, "PORTFOLIO_POSTGRES_URL"],
        [{ PORTFOLIO_POSTGRES_URL: testUrl, PORTFOLIO_POSTGRES_POOL_SIZE: "0" }, "PORTFOLIO_POSTGRES_POOL_SIZE"],
        [{ PORTFOLIO_POSTGRES_URL: testUrl, PORTFOLIO_POSTGRES_POOL_SIZE: "many" }, "PORTFOLIO_POSTGRES_POOL_SIZE"],
        [{ PORTFOLIO_POSTGRES_URL: testUrl, PORTFOLIO_POSTGRES_STATEMENT_TIMEOUT_MS: "-5" }, "PORTFOLIO_POSTGRES_STATEMENT_TIMEOUT_MS"],
        [{ PORTFOLIO_POSTGRES_URL: testUrl, PORTFOLIO_ACCOUNT_ID: "   " }, "PORTFOLIO_ACCOUNT_ID"],
        [{ PORTFOLIO_POSTGRES_URL: testUrl, PORTFOLIO_POSTGRES_SCHEMA: "drop table;" }, "PORTFOLIO_POSTGRES_SCHEMA"]
      ]
      for (const [env, variable] of cases) {
        const error = yield* Effect.flip(PostgresDatabase.config.pipe(withEnv(env)))
        expect(String(error)).toContain(variable)
        for (const shown of shownForms(error)) expect(shown).not.toContain("Sup3r-S3cret")
      }
      // The layer reads the same variables.
      const error = yield* Effect.flip(Effect.scoped(Layer.build(PostgresStore.layerConfig)).pipe(withEnv({ PORTFOLIO_POSTGRES_URL: secret })))
      expect(String(error)).toContain("PORTFOLIO_POSTGRES_URL")
      expect(String(error)).not.toContain("Sup3r-S3cret")
    }))

  it.effect("layerConfig builds both stores for the account named by PORTFOLIO_ACCOUNT_ID", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const context = yield* Layer.build(PostgresStore.layerConfig).pipe(withEnv({
        PORTFOLIO_POSTGRES_URL: testUrl,
        PORTFOLIO_POSTGRES_SCHEMA: schema,
        PORTFOLIO_ACCOUNT_ID: "acct-7",
        PORTFOLIO_POSTGRES_POOL_SIZE: "2"
      }))
      const db = Context.get(context, PostgresDatabase.PostgresDatabase)
      expect(db.accountId).toBe("acct-7")
      expect(db.where).toBe(`${PostgresDatabase.describe({ url, schema, accountId: "acct-7" })}`)
      yield* Context.get(context, TradeStore).commit(storeBatch("ev-1"))
      const rows = yield* Effect.promise(() => admin(`select account_id from "${schema}".processed_events`))
      expect(rows.rows).toEqual([{ account_id: "acct-7" }])
    }).pipe(Effect.scoped))

  it.effect("the pool closes with the layer's scope", () =>
    Effect.gen(function*() {
      const db = yield* Effect.scoped(open({ url, schema: freshSchema() }))
      expect(db.pool.ended).toBe(true)
    }))
})
