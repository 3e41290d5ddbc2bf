import { describe, expect, it } from "@effect/vitest"
import { decodeEnvelope, EventBus, type IncomingEventOf } from "@portfolio/core"
import { eventBusContract, sampleEnvelope } from "@portfolio/core/testing"
import { Chunk, Context, Effect, Either, Exit, Fiber, Layer, Stream } from "effect"
import { createHash } from "node:crypto"
import { hostname } from "node:os"
import { RedisEventBus } from "../src/index.js"
import { eventually, readStream, redisForFile } from "./harness.js"

const redis = redisForFile()

/** The dead-letter prefix of the bus a contract test runs against. */
class DeadLetterPrefix extends Context.Tag("test/DeadLetterPrefix")<DeadLetterPrefix, string>() {}

eventBusContract(
  "RedisEventBus",
  () => {
    // No reclaiming: an unsettled entry must come back through the next subscription's read of
    // its pending entries.
    const options = redis.busOptions({ claimIdle: "1 hour", block: "200 millis" })
    return Layer.merge(RedisEventBus.layer(options), Layer.succeed(DeadLetterPrefix, options.deadLetterPrefix!))
  },
  {
    deadLetters: (eventType) =>
      Effect.flatMap(DeadLetterPrefix, (prefix) => readStream(redis.raw(), `${prefix}${eventType}`)).pipe(
        Effect.map((entries) => entries.map((e) => e.fields))
      )
  }
)

const takeDeliveries = (types: ReadonlyArray<string>, n: number) =>
  Effect.flatMap(EventBus, (bus) =>
    bus.subscribe(types).pipe(Stream.take(n), Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.timeout("10 seconds")))

describe("RedisEventBus", () => {
  it.live("writes the fields of the Python bus, in its order, to <prefix><event_type>", () => {
    const options = redis.busOptions()
    return Effect.gen(function*() {
      const bus = yield* EventBus
      const full = sampleEnvelope("trade.closed", 2)
      yield* bus.publish(full)
      const { correlation_id: _, timestamp: __, ...bare } = sampleEnvelope("trade.closed", 3)
      const before = Date.now()
      yield* bus.publish(bare)
      const entries = yield* readStream(redis.raw(), `${options.streamPrefix}trade.closed`)
      expect(entries).toHaveLength(2)
      expect(entries[0]!.flat).toEqual([
        "event_type", "trade.closed",
        "payload", full.payload,
        "trace_id", full.trace_id,
        "timestamp", full.timestamp,
        "source", "contract_test",
        "correlation_id", full.correlation_id
      ])
      const second = entries[1]!.flat
      expect(second.filter((_, i) => i % 2 === 0)).toEqual(["event_type", "payload", "trace_id", "timestamp", "source"])
      expect(second[7]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
      expect(Date.parse(second[7]!)).toBeGreaterThanOrEqual(before - 1)
      expect(entries[0]!.id < entries[1]!.id).toBe(true)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it.live("trims each stream approximately to maxLen on publish (MAXLEN ~)", () => {
    const options = redis.busOptions({ maxLen: 10 })
    return Effect.gen(function*() {
      const bus = yield* EventBus
      for (let n = 0; n < 300; n++) yield* bus.publish(sampleEnvelope("market.tick", n))
      const length = yield* Effect.promise(() => redis.raw().xlen(`${options.streamPrefix}market.tick`))
      expect(length).toBeGreaterThanOrEqual(10)
      expect(length).toBeLessThan(250)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it.live("consumes an entry written the way the Python bus writes it, zone-less microsecond time and all", () => {
    const options = redis.busOptions()
    return Effect.gen(function*() {
      // What `await event_bus.publish("trade.opened", {...})` leaves in Redis: json.dumps spacing,
      // datetime.utcnow().isoformat() in the entry, an empty trace id, no correlation id.
      yield* Effect.promise(() =>
        redis.raw().xadd(
          `${options.streamPrefix}trade.opened`, "MAXLEN", "~", "10000", "*",
          "event_type", "trade.opened",
          "payload", '{"trade_id": "py-1", "symbol": "btcusdt", "side": "BUY", "quantity": 0.2, "entry_price": 42000.0, "stop_loss": null, "take_profit": 44000.0}',
          "trace_id", "",
          "timestamp", "2025-01-02T03:04:05.123456",
          "source", "execution_service"
        )
      )
      const [delivery] = yield* takeDeliveries(["trade.opened"], 1)
      const decoded = decodeEnvelope(delivery!.fields)
      expect(Either.isRight(decoded)).toBe(true)
      const event = Either.getOrThrow(decoded) as IncomingEventOf<"trade.opened">
      expect(event.type).toBe("trade.opened")
      expect(event.at).toBe(Date.UTC(2025, 0, 2, 3, 4, 5, 123))
      expect(event.source).toBe("execution_service")
      expect(event.traceId).toBe("")
      expect(event.payload).toMatchObject({ trade_id: "py-1", symbol: "BTCUSDT", side: "LONG", quantity: 0.2, entry_price: 42_000, leverage: 1 })
      expect(delivery!.fields["correlation_id"]).toBeUndefined()
      yield* delivery!.ack
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it.live("reads through the group quantum:group:<service>:<type> as consumer <service>_<8 hex>, made from id 0", () => {
    const options = redis.busOptions({ streamPrefix: "quantum:stream:", deadLetterPrefix: "quantum:dlq:" })
    const service = options.serviceName!
    return Effect.gen(function*() {
      const bus = yield* EventBus
      // Published before the group exists: a group made from id 0 still delivers it.
      yield* bus.publish(sampleEnvelope("ess.tripped", 1))
      const [delivery] = yield* takeDeliveries(["ess.tripped"], 1)
      expect(JSON.parse(delivery!.fields["payload"]!).seq).toBe(1)
      const groups = (yield* Effect.promise(() => redis.raw().call("XINFO", "GROUPS", "quantum:stream:ess.tripped"))) as Array<Array<unknown>>
      const group = groups.map((g) => Object.fromEntries(pairsOf(g))).find((g) => g["name"] === `quantum:group:${service}:ess.tripped`)
      expect(group).toBeDefined()
      expect(group!["pending"]).toBe(1)
      const consumers = (yield* Effect.promise(() =>
        redis.raw().call("XINFO", "CONSUMERS", "quantum:stream:ess.tripped", `quantum:group:${service}:ess.tripped`)
      )) as Array<Array<unknown>>
      const names = consumers.map((c) => String(Object.fromEntries(pairsOf(c))["name"]))
      expect(names).toHaveLength(1)
      expect(names[0]).toMatch(new RegExp(`^${service}_[0-9a-f]{8}$`))
      const health = yield* bus.health
      expect((health.details as { consumer: string }).consumer).toBe(names[0])
      yield* delivery!.ack
      const after = (yield* Effect.promise(() => redis.raw().xpending("quantum:stream:ess.tripped", `quantum:group:${service}:ess.tripped`))) as Array<unknown>
      expect(after[0]).toBe(0)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it.live("counts published, delivered, acked, dead-lettered and reclaimed entries per type in health", () => {
    const options = redis.busOptions()
    return Effect.gen(function*() {
      const bus = yield* EventBus
      yield* eventually("the bus to connect", Effect.map(bus.health, (h) => h.status === "ok"))
      for (const n of [1, 2, 3]) yield* bus.publish(sampleEnvelope("market.tick", n))
      yield* bus.subscribe(["market.tick"]).pipe(
        Stream.take(3),
        Stream.runForEach((d) =>
          Either.match(decodeEnvelope({ ...d.fields, payload: JSON.parse(d.fields["payload"]!).seq === 2 ? "[" : d.fields["payload"]! }), {
            onLeft: (invalid) => d.deadLetter(invalid),
            onRight: () => d.ack
          })
        )
      )
      const health = yield* bus.health
      expect(health.status).toBe("ok")
      expect(health.message).toBe(`connected to ${redis.server().url}/0`)
      expect(health.details).toMatchObject({
        redis: `${redis.server().url}/0`,
        service_name: options.serviceName,
        counters: { "market.tick": { published: 3, delivered: 3, acked: 2, dead_lettered: 1, reclaimed: 0 } }
      })
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it.live("an ack or dead-letter of an entry settled already changes nothing and parks nothing twice", () => {
    const options = redis.busOptions()
    return Effect.gen(function*() {
      const bus = yield* EventBus
      yield* bus.publish({ ...sampleEnvelope("order.executed", 1), payload: "nope" })
      const [delivery] = yield* takeDeliveries(["order.executed"], 1)
      const invalid = Either.flip(decodeEnvelope(delivery!.fields)).pipe(Either.getOrThrow)
      yield* delivery!.deadLetter(invalid)
      yield* delivery!.deadLetter(invalid)
      yield* delivery!.ack
      const parked = yield* readStream(redis.raw(), `${options.deadLetterPrefix}order.executed`)
      expect(parked).toHaveLength(1)
      expect(parked[0]!.fields["error"]).toBe(invalid.reason)
      const health = yield* bus.health
      expect(health.details).toMatchObject({ counters: { "order.executed": { dead_lettered: 1, acked: 0 } } })
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it.live("closes its connections when the scope closes", () => {
    const options = redis.busOptions()
    const clients = Effect.promise(() => redis.raw().client("LIST") as Promise<string>).pipe(
      Effect.map((list) => list.split("\n").filter((line) => line.includes(`name=${options.serviceName}_`)).length)
    )
    return Effect.gen(function*() {
      yield* Effect.gen(function*() {
        const bus = yield* EventBus
        yield* bus.publish(sampleEnvelope("market.tick", 1))
        // Nothing arrives on these types: the subscription stays open until the fiber ends.
        yield* Effect.fork(takeDeliveries(["trade.opened", "trade.closed"], 1))
        // One connection for commands, one reading connection for the subscription, whatever its types.
        yield* eventually("a command and a reader connection", Effect.map(clients, (n) => n === 2))
      }).pipe(Effect.provide(RedisEventBus.layer(options)))
      yield* eventually("every connection closed", Effect.map(clients, (n) => n === 0))
    })
  })

  it.live("names its consumer <service>_<8 hex> from the host and the account, unless told a name", () =>
    Effect.gen(function*() {
      const consumerOf = (options: RedisEventBus.Options) =>
        Effect.flatMap(EventBus, (bus) => bus.health).pipe(
          Effect.map((h) => (h.details as { consumer: string }).consumer),
          Effect.provide(RedisEventBus.layer(options))
        )
      const options = redis.busOptions()
      const hex = (account: string) => createHash("sha256").update(`${hostname()}\n${account}`).digest("hex").slice(0, 8)
      // Stable: two instances on this host for one account read as the same consumer.
      expect(yield* consumerOf(options)).toBe(`${options.serviceName}_${hex("default")}`)
      expect(yield* consumerOf(options)).toBe(`${options.serviceName}_${hex("default")}`)
      expect(yield* consumerOf({ ...options, accountId: "acct-7" })).toBe(`${options.serviceName}_${hex("acct-7")}`)
      expect(yield* consumerOf({ ...options, consumerName: "portfolio_primary" })).toBe("portfolio_primary")
      const bad = yield* Effect.exit(consumerOf({ ...options, consumerName: "has space" }))
      expect(Exit.isFailure(bad) && String(bad.cause)).toContain("consumer name")
    }))

  it.live("concurrent subscriptions of one bus read as <name>, <name>-2, …; a later one takes a freed name back", () => {
    const options = redis.busOptions({ consumerName: "stable_one" })
    const key = `${options.streamPrefix}market.tick`
    const group = `quantum:group:${options.serviceName}:market.tick`
    const consumers = Effect.promise(() =>
      (redis.raw().call("XINFO", "CONSUMERS", key, group) as Promise<Array<Array<unknown>>>).catch(() => [])
    ).pipe(Effect.map((list) => list.map((c) => String(Object.fromEntries(pairsOf(c))["name"])).sort()))
    const readers = Effect.promise(() => redis.raw().client("LIST") as Promise<string>).pipe(
      Effect.map((list) => list.split("\n").flatMap((line) => /name=(stable_one\S*):reader/.exec(line)?.[1] ?? []).sort())
    )
    return Effect.gen(function*() {
      const bus = yield* EventBus
      for (const n of [1, 2, 3]) yield* bus.publish(sampleEnvelope("market.tick", n))
      const first = yield* Effect.fork(Stream.runDrain(bus.subscribe(["market.tick"])))
      const second = yield* Effect.fork(Stream.runDrain(bus.subscribe(["market.tick"])))
      yield* eventually("both to read", Effect.map(consumers, (names) => names.length === 2))
      expect(yield* consumers).toEqual(["stable_one", "stable_one-2"])
      expect(yield* readers).toEqual(["stable_one", "stable_one-2"])
      // Once the first ends, the stable name is free again: the next subscription takes it, not a third name.
      yield* Fiber.interrupt(first)
      yield* eventually("the first reader to close", Effect.map(readers, (names) => names.length === 1))
      expect(yield* readers).toEqual(["stable_one-2"])
      const third = yield* Effect.fork(Stream.runDrain(bus.subscribe(["market.tick"])))
      yield* eventually("the third to connect", Effect.map(readers, (names) => names.length === 2))
      expect(yield* readers).toEqual(["stable_one", "stable_one-2"])
      yield* Effect.forEach([second, third], Fiber.interrupt)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })
})

const pairsOf = (flat: ReadonlyArray<unknown>): Array<[string, unknown]> => {
  const out: Array<[string, unknown]> = []
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), flat[i + 1]])
  return out
}
