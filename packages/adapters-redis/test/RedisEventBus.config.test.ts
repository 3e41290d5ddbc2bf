import { describe, expect, it } from "@effect/vitest"
import { EventBus } from "@portfolio/core"
import { sampleEnvelope } from "@portfolio/core/testing"
import { ConfigProvider, Effect, Exit, Fiber, Layer, Logger, LogLevel, Redacted, Stream } from "effect"
import { Redis } from "ioredis"
import { createHash } from "node:crypto"
import { hostname } from "node:os"
import { RedisEventBus } from "../src/index.js"
import { eventually, redisForFile } from "./harness.js"

const password = "pa55:w@rd/secret"
const redis = redisForFile({ password })

/** Runs `effect` with the environment `env` and every log line captured in `logs`. */
const withEnv = (env: Record<string, string>, logs: Array<string>) =>
  Layer.mergeAll(
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logs.push(JSON.stringify(message)))),
    Logger.minimumLogLevel(LogLevel.All)
  )

const rawDb = (db: number) =>
  Effect.acquireRelease(
    Effect.sync(() => new Redis({ port: redis.server().port, password, db })),
    (r) => Effect.sync(() => r.disconnect())
  )

/** Publishes one tick, reads it back through a subscription, and returns the bus's health. */
const roundTrip = Effect.gen(function*() {
  const bus = yield* EventBus
  yield* bus.publish(sampleEnvelope("market.tick", 7))
  const got = yield* bus.subscribe(["market.tick"]).pipe(Stream.take(1), Stream.runCollect, Effect.timeout("10 seconds"))
  expect(got.length).toBe(1)
  return yield* bus.health
})

describe("RedisEventBus configuration", () => {
  it.scopedLive("connects from PORTFOLIO_REDIS_URL with a password and a db, and never shows the password", () => {
    const logs: Array<string> = []
    const env = {
      PORTFOLIO_REDIS_URL: `redis://:${encodeURIComponent(password)}@127.0.0.1:${redis.server().port}/2`,
      PORTFOLIO_STREAM_PREFIX: "cfg1:stream:",
      PORTFOLIO_SERVICE_NAME: "cfg_one",
      PORTFOLIO_ACCOUNT_ID: "acct-42"
    }
    return Effect.gen(function*() {
      const health = yield* roundTrip.pipe(Effect.provide(RedisEventBus.layerConfig))
      expect(health.status).toBe("ok")
      const hex = createHash("sha256").update(`${hostname()}\nacct-42`).digest("hex").slice(0, 8)
      expect(health.details).toMatchObject({ redis: `redis://127.0.0.1:${redis.server().port}/2`, service_name: "cfg_one", consumer: `cfg_one_${hex}` })
      const db2 = yield* rawDb(2)
      expect(yield* Effect.promise(() => db2.xlen("cfg1:stream:market.tick"))).toBe(1)
      const seen = JSON.stringify(health) + logs.join("\n")
      expect(seen).not.toContain(password)
      expect(seen).not.toContain(encodeURIComponent(password))
      expect(logs.some((line) => line.includes("cfg_one_"))).toBe(true)
    }).pipe(Effect.provide(withEnv(env, logs)))
  })

  it.scopedLive("connects from PORTFOLIO_REDIS_HOST, _PORT, _PASSWORD and _DB, trimming to PORTFOLIO_STREAM_MAXLEN", () => {
    const logs: Array<string> = []
    const env = {
      PORTFOLIO_REDIS_HOST: "127.0.0.1",
      PORTFOLIO_REDIS_PORT: String(redis.server().port),
      PORTFOLIO_REDIS_PASSWORD: password,
      PORTFOLIO_REDIS_DB: "3",
      PORTFOLIO_STREAM_PREFIX: "cfg2:stream:",
      PORTFOLIO_STREAM_MAXLEN: "5",
      PORTFOLIO_SERVICE_NAME: "cfg_two",
      PORTFOLIO_CONSUMER_NAME: "cfg_two_primary"
    }
    return Effect.gen(function*() {
      yield* Effect.gen(function*() {
        const bus = yield* EventBus
        for (let n = 0; n < 400; n++) yield* bus.publish(sampleEnvelope("market.tick", n))
        const health = yield* roundTrip
        expect(health.status).toBe("ok")
        expect(health.details).toMatchObject({ consumer: "cfg_two_primary" })
      }).pipe(Effect.provide(RedisEventBus.layerConfig))
      const db3 = yield* rawDb(3)
      const length = yield* Effect.promise(() => db3.xlen("cfg2:stream:market.tick"))
      expect(length).toBeGreaterThanOrEqual(5)
      expect(length).toBeLessThan(200)
      const groups = (yield* Effect.promise(() => db3.call("XINFO", "GROUPS", "cfg2:stream:market.tick"))) as Array<Array<unknown>>
      expect(groups.map((g) => g[1])).toEqual(["quantum:group:cfg_two:market.tick"])
      expect(logs.join("\n")).not.toContain(password)
    }).pipe(Effect.provide(withEnv(env, logs)))
  })

  it.scopedLive("with a wrong password it reports itself not ok, names the cause, and shows neither password", () => {
    const logs: Array<string> = []
    const wrong = "not-the-password-42"
    return Effect.gen(function*() {
      const bus = yield* EventBus
      const reading = yield* Effect.fork(Stream.runDrain(bus.subscribe(["market.tick"])))
      yield* eventually("the failure to be reported", Effect.map(bus.health, (h) => /WRONGPASS|NOAUTH/.test(h.message)))
      const health = yield* bus.health
      expect(health.status).not.toBe("ok")
      yield* eventually("the reader to log its failure", Effect.sync(() => logs.some((l) => l.includes("reading market.tick failed"))))
      const seen = JSON.stringify(health) + logs.join("\n")
      expect(seen).not.toContain(wrong)
      expect(seen).not.toContain(password)
      yield* Fiber.interrupt(reading)
    }).pipe(
      Effect.provide(RedisEventBus.layer({ port: redis.server().port, host: "127.0.0.1", password: Redacted.make(wrong), serviceName: "cfg_wrong" })),
      Effect.provide(withEnv({}, logs))
    )
  })

  it.effect("rejects bad settings with an error naming the variable, never echoing a URL", () =>
    Effect.gen(function*() {
      const build = (env: Record<string, string>) =>
        Effect.scoped(Layer.build(RedisEventBus.layerConfig)).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.exit)
      const failure = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? String(exit.cause.toString()) : "succeeded")
      expect(failure(yield* build({ PORTFOLIO_REDIS_PORT: "abc" }))).toContain("PORTFOLIO_REDIS_PORT")
      expect(failure(yield* build({ PORTFOLIO_STREAM_MAXLEN: "0" }))).toContain("PORTFOLIO_STREAM_MAXLEN")
      expect(failure(yield* build({ PORTFOLIO_REDIS_DB: "-1" }))).toContain("PORTFOLIO_REDIS_DB")
      const badUrl = failure(yield* build({ PORTFOLIO_REDIS_URL: "http://user:hunter2@example.com" }))
      expect(badUrl).toContain("scheme")
      expect(badUrl).not.toContain("hunter2")
      expect(failure(yield* build({ PORTFOLIO_SERVICE_NAME: "has space" }))).toContain("service name")
      expect(failure(yield* build({ PORTFOLIO_CONSUMER_NAME: "has space" }))).toContain("consumer name")
    }))
})
