/**
 * The choice of adapters from the environment: the embedded defaults, each switch, the
 * settings of the chosen adapter validated up front, and a description without secrets.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either } from "effect"
import { resolve } from "node:path"
import * as Adapters from "../src/Adapters.js"

const choose = (env: Record<string, string>) =>
  Adapters.config.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

describe("Adapters", () => {
  it.effect("runs on embedded defaults with no configuration", () =>
    Effect.gen(function* () {
      const choice = Either.getOrThrow(yield* choose({}))
      expect(choice.store).toMatchObject({ kind: "sqlite", options: { path: "./data/portfolio.db" } })
      expect(choice.bus).toEqual({ kind: "memory" })
      expect(choice.exchange).toEqual({ kind: "paper", initialCash: 10_000 })
      expect(Adapters.describe(choice)).toBe(`store=sqlite(${resolve("data/portfolio.db")}) bus=memory balance=paper(10000) prices=ticks`)
      expect(Adapters.describe(Adapters.embedded)).toBe(Adapters.describe(choice))
    }))

  it.effect("switches each port on its variables", () =>
    Effect.gen(function* () {
      const memory = Either.getOrThrow(yield* choose({ PORTFOLIO_TRADE_STORE_TYPE: "MEMORY", PORTFOLIO_INITIAL_CASH: "2500" }))
      expect(Adapters.describe(memory)).toBe("store=memory bus=memory balance=paper(2500) prices=ticks")

      const redis = Either.getOrThrow(yield* choose({ PORTFOLIO_REDIS_HOST: "redis", PORTFOLIO_REDIS_PORT: "6380" }))
      expect(redis.bus).toMatchObject({ kind: "redis", options: { host: "redis", port: 6380 } })
      expect(Adapters.describe(redis)).toContain("bus=redis(redis://redis:6380/0)")

      const url = Either.getOrThrow(yield* choose({ PORTFOLIO_REDIS_URL: "redis://user:hunter2@cache.internal:6390/2" }))
      expect(url.bus.kind).toBe("redis")
      expect(Adapters.describe(url)).toContain("bus=redis(redis://cache.internal:6390/2)")
      expect(Adapters.describe(url)).not.toContain("hunter2")

      const binance = Either.getOrThrow(
        yield* choose({ PORTFOLIO_BINANCE_API_KEY: "key-abc", PORTFOLIO_BINANCE_API_SECRET: "secret-xyz", PORTFOLIO_BINANCE_REST_URL: "http://127.0.0.1:9999" })
      )
      expect(binance.exchange.kind).toBe("binance")
      const line = Adapters.describe(binance)
      expect(line).toContain("balance=binance(http://127.0.0.1:9999) prices=binance(wss://fstream.binance.com)")
      expect(line).not.toContain("key-abc")
      expect(line).not.toContain("secret-xyz")

      const postgres = Either.getOrThrow(
        yield* choose({ PORTFOLIO_TRADE_STORE_TYPE: "postgres", PORTFOLIO_POSTGRES_URL: "postgres://app:pg-secret-1@db.internal:5433/portfolio", PORTFOLIO_ACCOUNT_ID: "acct-7" })
      )
      expect(postgres.store.kind).toBe("postgres")
      const pgLine = Adapters.describe(postgres)
      expect(pgLine).toContain("store=postgres(")
      expect(pgLine).toContain("db.internal:5433/portfolio")
      expect(pgLine).toContain("acct-7")
      expect(pgLine).not.toContain("pg-secret-1")
    }))

  it.effect("fails naming the variable of a bad or incomplete setting", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ PORTFOLIO_TRADE_STORE_TYPE: "mongo" }, "PORTFOLIO_TRADE_STORE_TYPE"],
        [{ PORTFOLIO_TRADE_STORE_TYPE: "postgres" }, "PORTFOLIO_POSTGRES_URL"],
        [{ PORTFOLIO_INITIAL_CASH: "-5" }, "PORTFOLIO_INITIAL_CASH"],
        [{ PORTFOLIO_BINANCE_API_KEY: "key-only" }, "PORTFOLIO_BINANCE_API_SECRET"],
        [{ PORTFOLIO_REDIS_HOST: "redis", PORTFOLIO_REDIS_PORT: "port" }, "PORTFOLIO_REDIS_PORT"],
        [{ PORTFOLIO_TRADE_STORE_SYNCHRONOUS: "SOMETIMES" }, "PORTFOLIO_TRADE_STORE_SYNCHRONOUS"]
      ]
      for (const [env, name] of cases) {
        const result = yield* choose(env)
        expect(Either.isLeft(result), JSON.stringify(env)).toBe(true)
        expect(String(Either.isLeft(result) ? result.left : ""), JSON.stringify(env)).toContain(name)
      }
    }))
})
