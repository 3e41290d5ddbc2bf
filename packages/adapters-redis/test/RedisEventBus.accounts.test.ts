/**
 * Accounts on one Redis (DESIGN.md §8, issue 15): `PORTFOLIO_ACCOUNT_ID` scopes the consumer
 * groups (the default account's stay the Python names), `PORTFOLIO_STREAM_PREFIX` partitions
 * the streams per account, and bad settings fail naming their variable.
 */
import { describe, expect, it } from "@effect/vitest"
import { type Delivery, EventBus, InvalidEvent } from "@portfolio/core"
import { sampleEnvelope } from "@portfolio/core/testing"
import { ConfigProvider, Effect, Exit, Layer, Redacted } from "effect"
import { randomBytes } from "node:crypto"
import { RedisEventBus } from "../src/index.js"
import { consume, readStream, redisForFile, xadd } from "./harness.js"

const redis = redisForFile()

const groupsOf = (key: string) =>
  Effect.promise(() => redis.raw().call("XINFO", "GROUPS", key) as Promise<Array<Array<unknown>>>).pipe(
    Effect.map((groups) => groups.map((g) => String(g[1])).sort())
  )

/** `n` Python-style entries on `key`, each payload naming its account and number. */
const feed = (key: string, account: string, numbers: ReadonlyArray<number>) =>
  Effect.forEach(numbers, (n) =>
    xadd(redis.raw(), key, "*", [
      "event_type", "market.tick",
      "payload", JSON.stringify({ symbol: "BTCUSDT", price: 100 + n, account, n }),
      "trace_id", "",
      "timestamp", "2025-01-02T03:04:05.123456",
      "source", "producer"
    ]))

const accountsOf = (deliveries: ReadonlyArray<Delivery>) =>
  deliveries.map((d) => {
    const payload = JSON.parse(d.fields["payload"]!) as { account: string; n: number }
    return `${payload.account}:${payload.n}`
  })

const consumeWith = (options: RedisEventBus.Options, n: number) =>
  consume(["market.tick"], n).pipe(Effect.provide(RedisEventBus.layer(options)))

describe("RedisEventBus accounts", () => {
  it.live("the default account, named or not, reads through the Python group names", () =>
    Effect.gen(function*() {
      const base = redis.busOptions()
      const key = `${base.streamPrefix}market.tick`
      yield* feed(key, "x", [1, 2])
      expect(accountsOf(yield* consumeWith(base, 2))).toEqual(["x:1", "x:2"])
      // Naming it explicitly is the same group: nothing is read twice.
      yield* feed(key, "x", [3])
      expect(accountsOf(yield* consumeWith({ ...base, accountId: "default" }, 1))).toEqual(["x:3"])
      expect(yield* groupsOf(key)).toEqual([`quantum:group:${base.serviceName}:market.tick`])
    }))

  it.live("accounts reading the same streams each have their own groups, <service>@<account>, and each gets every entry", () =>
    Effect.gen(function*() {
      const base = redis.busOptions()
      const key = `${base.streamPrefix}market.tick`
      yield* feed(key, "shared", [1, 2, 3, 4])
      const [a, b] = yield* Effect.all([consumeWith({ ...base, accountId: "acct-a" }, 4), consumeWith({ ...base, accountId: "acct-b" }, 4)], {
        concurrency: 2
      })
      // With one group for both, the two instances would have split the four entries between them.
      expect(accountsOf(a)).toEqual(["shared:1", "shared:2", "shared:3", "shared:4"])
      expect(accountsOf(b)).toEqual(["shared:1", "shared:2", "shared:3", "shared:4"])
      expect(yield* groupsOf(key)).toEqual([
        `quantum:group:${base.serviceName}@acct-a:market.tick`,
        `quantum:group:${base.serviceName}@acct-b:market.tick`
      ])
    }))

  it.live("a stream prefix per account partitions the streams: interleaved producers, each instance reads and publishes only its own", () =>
    Effect.gen(function*() {
      const base = redis.busOptions()
      const tag = randomBytes(3).toString("hex")
      const optionsOf = (account: string): RedisEventBus.Options => ({
        ...base,
        accountId: account,
        streamPrefix: `p${tag}:${account}:stream:`,
        deadLetterPrefix: `p${tag}:${account}:dlq:`
      })
      const accounts = ["acct-a", "acct-b", "acct-c"]
      // Interleaved: a1 b1 c1 a2 b2 c2 …
      for (let n = 1; n <= 5; n++) {
        for (const account of accounts) yield* feed(`p${tag}:${account}:stream:market.tick`, account, [n])
      }
      const read = yield* Effect.forEach(accounts, (account) => consumeWith(optionsOf(account), 5), { concurrency: "unbounded" })
      accounts.forEach((account, i) => expect(accountsOf(read[i]!)).toEqual([1, 2, 3, 4, 5].map((n) => `${account}:${n}`)))
      // What an instance publishes goes to its account's streams only.
      yield* Effect.flatMap(EventBus, (bus) => bus.publish(sampleEnvelope("portfolio.snapshot_updated", 1))).pipe(
        Effect.provide(RedisEventBus.layer(optionsOf("acct-b")))
      )
      for (const account of accounts) {
        const entries = yield* readStream(redis.raw(), `p${tag}:${account}:stream:portfolio.snapshot_updated`)
        expect(entries.length).toBe(account === "acct-b" ? 1 : 0)
      }
      expect(yield* readStream(redis.raw(), "quantum:stream:portfolio.snapshot_updated")).toEqual([])
    }))

  it.live("health shows the account, its group prefix, and both stream prefixes", () =>
    Effect.gen(function*() {
      const options = { ...redis.busOptions(), accountId: "acct-h" }
      const health = yield* Effect.flatMap(EventBus, (bus) => bus.health).pipe(Effect.provide(RedisEventBus.layer(options)))
      expect(health.details).toMatchObject({
        account: "acct-h",
        group_prefix: `quantum:group:${options.serviceName}@acct-h:`,
        stream_prefix: options.streamPrefix,
        dead_letter_prefix: options.deadLetterPrefix
      })
    }))

  it.live("from the environment: PORTFOLIO_ACCOUNT_ID scopes the groups, PORTFOLIO_STREAM_PREFIX and PORTFOLIO_DEAD_LETTER_PREFIX the keys", () => {
    const tag = randomBytes(3).toString("hex")
    const env = {
      PORTFOLIO_REDIS_URL: `redis://127.0.0.1:${redis.server().port}`,
      PORTFOLIO_ACCOUNT_ID: "acct-env",
      PORTFOLIO_STREAM_PREFIX: `e${tag}:stream:`,
      PORTFOLIO_DEAD_LETTER_PREFIX: `e${tag}:dlq:`,
      PORTFOLIO_SERVICE_NAME: `svc_${tag}`
    }
    return Effect.gen(function*() {
      const bus = yield* EventBus
      yield* bus.publish(sampleEnvelope("order.executed", 1))
      const [delivery] = yield* consume(["order.executed"], 1, { ack: false })
      yield* delivery!.deadLetter(new InvalidEvent({ eventType: "order.executed", reason: "bad", issues: [] }))
      expect(yield* groupsOf(`e${tag}:stream:order.executed`)).toEqual([`quantum:group:svc_${tag}@acct-env:order.executed`])
      const parked = yield* readStream(redis.raw(), `e${tag}:dlq:order.executed`)
      expect(parked.map((e) => e.fields["error"])).toEqual(["bad"])
      expect(parked[0]!.fields["source"]).toBe("contract_test")
    }).pipe(
      Effect.provide(RedisEventBus.layerConfig),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    )
  })

  it.effect("bad accounts and prefixes fail naming their variable", () =>
    Effect.gen(function*() {
      const build = (env: Record<string, string>) =>
        Effect.scoped(Layer.build(RedisEventBus.layerConfig)).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({ PORTFOLIO_REDIS_PORT: "1", ...env })))),
          Effect.exit
        )
      const failure = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? String(exit.cause) : "succeeded")
      for (const bad of ["has space", "a@b", "a:b", "   ", "x".repeat(65)]) {
        expect(failure(yield* build({ PORTFOLIO_ACCOUNT_ID: bad }))).toContain("PORTFOLIO_ACCOUNT_ID")
      }
      expect(failure(yield* build({ PORTFOLIO_STREAM_PREFIX: "has space:" }))).toContain("PORTFOLIO_STREAM_PREFIX")
      expect(failure(yield* build({ PORTFOLIO_STREAM_PREFIX: "" }))).toContain("PORTFOLIO_STREAM_PREFIX")
      expect(failure(yield* build({ PORTFOLIO_DEAD_LETTER_PREFIX: "tab\there" }))).toContain("PORTFOLIO_DEAD_LETTER_PREFIX")
      const same = failure(yield* build({ PORTFOLIO_STREAM_PREFIX: "x:", PORTFOLIO_DEAD_LETTER_PREFIX: "x:" }))
      expect(same).toContain("PORTFOLIO_DEAD_LETTER_PREFIX")
      expect(same).toContain("PORTFOLIO_STREAM_PREFIX")
    }))

  it.effect("options given in code are checked the same way", () =>
    Effect.gen(function*() {
      const build = (options: RedisEventBus.Options) =>
        Effect.scoped(Layer.build(RedisEventBus.layer({ url: Redacted.make("redis://127.0.0.1:1"), ...options }))).pipe(Effect.exit)
      const failure = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? String(exit.cause) : "succeeded")
      expect(failure(yield* build({ accountId: "a b" }))).toContain("account id")
      expect(failure(yield* build({ streamPrefix: "s:", deadLetterPrefix: "s:" }))).toContain("dead-letter prefix")
    }))
})
