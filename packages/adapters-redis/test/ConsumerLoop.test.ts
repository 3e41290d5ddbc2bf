import { describe, expect, it } from "@effect/vitest"
import { EventBus, type IncomingEventOf } from "@portfolio/core"
import { Chunk, Effect, Fiber, Stream } from "effect"
import { RedisEventBus } from "../src/index.js"
import { ConsumerLoop } from "../src/testing/index.js"
import { eventually, pendingCount, readStream, redisForFile } from "./harness.js"

const redis = redisForFile()

/** A fill as the execution service publishes it; `order_id` is its idempotency key. */
const fill = (n: number) => ({
  event_type: "order.executed",
  payload: JSON.stringify({ order_id: `order-${n}`, symbol: "BTCUSDT", side: "BUY", quantity: 0.01, price: 40_000 + n, timestamp: "2025-01-02T03:04:05.000001" }),
  trace_id: "",
  timestamp: "2025-01-02T03:04:05.000001",
  source: "test"
})

/** A consumer that records, per order id, how many times it applied the fill. */
const countingConsumer = (applied: Map<string, number>) =>
  ConsumerLoop.run({
    eventTypes: ["order.executed"],
    apply: (event) =>
      Effect.sync(() => {
        const id = (event as IncomingEventOf<"order.executed">).payload.order_id
        applied.set(id, (applied.get(id) ?? 0) + 1)
      })
  })

describe("ConsumerLoop over RedisEventBus", () => {
  it.live("parks malformed entries in quantum:dlq:<type> with error, failed_at and original_id, and goes on", () => {
    const options = redis.busOptions({ streamPrefix: "quantum:stream:", deadLetterPrefix: "quantum:dlq:" })
    const key = "quantum:stream:order.executed"
    const huge = "X".repeat(1_000_000)
    const malformed: Record<string, Record<string, string>> = {
      "not JSON": { ...fill(0), payload: "{\"order_id\": \"o-x\", \"price\": " },
      "wrong types": { ...fill(0), payload: JSON.stringify({ order_id: "o-x", symbol: "BTCUSDT", side: "BUY", quantity: 1, price: "a lot" }) },
      "missing fields": { ...fill(0), payload: JSON.stringify({ order_id: "o-x", side: "BUY", quantity: 1, price: 42_000 }) },
      "a 1 MB string field": { ...fill(0), payload: JSON.stringify({ order_id: "o-x", symbol: huge, side: "BUY", quantity: 1, price: 42_000 }) },
      "no payload at all": { event_type: "order.executed", timestamp: "2025-01-02T03:04:05", source: "test" }
    }
    return Effect.gen(function*() {
      const raw = redis.raw()
      const written = new Map<string, string>()
      const addRaw = (fields: Record<string, string>) =>
        Effect.promise(() => raw.xadd(key, "*", ...Object.entries(fields).flat()) as Promise<string>)
      yield* addRaw(fill(1))
      for (const [kind, fields] of Object.entries(malformed)) written.set(yield* addRaw(fields), kind)
      yield* addRaw(fill(2))
      yield* addRaw(fill(3))

      const applied = new Map<string, number>()
      const loop = yield* Effect.fork(countingConsumer(applied))
      yield* eventually("the valid fills to be applied", Effect.sync(() => applied.size === 3))
      const dlq = "quantum:dlq:order.executed"
      yield* eventually(
        "the malformed entries to be parked",
        Effect.map(readStream(raw, dlq), (entries) => entries.filter((e) => written.has(e.fields["original_id"]!)).length === written.size)
      )
      // Everything gets settled: nothing is left pending in the group.
      const group = `quantum:group:${options.serviceName}:order.executed`
      yield* eventually(
        "nothing left pending",
        Effect.map(Effect.promise(() => raw.xpending(key, group)), (summary) => (summary as Array<unknown>)[0] === 0)
      )
      yield* Fiber.interrupt(loop)

      expect([...applied.entries()].sort()).toEqual([["order-1", 1], ["order-2", 1], ["order-3", 1]])
      const parked = (yield* readStream(raw, dlq)).filter((e) => written.has(e.fields["original_id"]!))
      const byKind = new Map(parked.map((e) => [written.get(e.fields["original_id"]!)!, e.fields]))
      for (const [kind, fields] of Object.entries(malformed)) {
        const dead = byKind.get(kind)!
        const { error, failed_at, original_id: _, ...original } = dead
        expect(original, kind).toEqual(fields)
        expect(error, kind).not.toBe("")
        expect(Date.parse(failed_at!), kind).toBeGreaterThan(Date.now() - 60_000)
        expect(failed_at, kind).toMatch(/Z$/)
      }
      expect(byKind.get("not JSON")!["error"]).toContain("not JSON")
      expect(byKind.get("wrong types")!["error"]).toContain("payload.price")
      expect(byKind.get("missing fields")!["error"]).toContain("payload.symbol")
      expect(byKind.get("a 1 MB string field")!["error"]).toContain("exceeds")
      // An entry without `payload` is read as a flat entry (DESIGN.md §5): invalid here for the fields it lacks.
      expect(byKind.get("no payload at all")!["error"]).toMatch(/payload|order_id/)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it.live("two instances of one group (two consumer names) apply every entry exactly once between them", () => {
    const options = redis.busOptions({ batchSize: 10, block: "100 millis" })
    const total = 200
    return Effect.gen(function*() {
      const applied = new Map<string, number>()
      // Which instance gets what is Redis's business: only "each entry once, none lost" is promised.
      const consumers = yield* Effect.forEach(["instance_a", "instance_b"], (consumerName) =>
        Effect.fork(countingConsumer(applied).pipe(Effect.provide(RedisEventBus.layer({ ...options, consumerName })))))
      yield* Effect.gen(function*() {
        const bus = yield* EventBus
        for (let i = 0; i < total; i++) yield* bus.publish(fill(i))
      }).pipe(Effect.provide(RedisEventBus.layer(options)))
      yield* eventually("every entry to be applied", Effect.sync(() => applied.size === total), 20_000)
      const key = `${options.streamPrefix}order.executed`
      yield* eventually("every entry acknowledged", Effect.map(pendingCount(redis.raw(), key, `quantum:group:${options.serviceName}:order.executed`), (n) => n === 0))
      yield* Effect.forEach(consumers, Fiber.interrupt)
      expect([...applied.values()].every((n) => n === 1)).toBe(true)
    })
  })

  it.live("entries a consumer took and died with are reclaimed by another after claimIdle", () => {
    const options = redis.busOptions({ claimIdle: "300 millis", block: "100 millis" })
    return Effect.gen(function*() {
      const publish = Effect.gen(function*() {
        const bus = yield* EventBus
        for (let i = 0; i < 10; i++) yield* bus.publish(fill(i))
      })
      // The first consumer takes five entries and dies without acknowledging them.
      const taken = yield* Effect.gen(function*() {
        yield* publish
        const bus = yield* EventBus
        return yield* bus.subscribe(["order.executed"]).pipe(Stream.take(5), Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      }).pipe(Effect.provide(RedisEventBus.layer({ ...options, consumerName: "dead_instance", claimIdle: "1 hour" })))
      expect(taken).toHaveLength(5)
      // It may have read ahead of what it handed out: all it read is pending under its name.
      const [deadPending] = (yield* Effect.promise(() =>
        redis.raw().xpending(`${options.streamPrefix}order.executed`, `quantum:group:${options.serviceName}:order.executed`)
      )) as [number]
      expect(deadPending).toBeGreaterThanOrEqual(5)

      // The second consumer gets what the dead one had not read at once, and the rest once idle.
      yield* Effect.gen(function*() {
        const bus = yield* EventBus
        const applied = new Map<string, number>()
        const counts = new Map<string, number>()
        const loop = yield* Effect.fork(
          bus.subscribe(["order.executed"]).pipe(
            // Recorded once acknowledged, so that "all ten" means all ten acks are done.
            Stream.runForEach((d) =>
              Effect.zipRight(
                d.ack,
                Effect.sync(() => {
                  const id = JSON.parse(d.fields["payload"]!).order_id as string
                  applied.set(id, (applied.get(id) ?? 0) + 1)
                  counts.set(id, d.deliveryCount)
                })
              )
            )
          )
        )
        yield* eventually("all ten entries", Effect.sync(() => applied.size === 10))
        yield* Fiber.interrupt(loop)
        const takenIds = taken.map((d) => JSON.parse(d.fields["payload"]!).order_id as string)
        for (const id of takenIds) expect(counts.get(id), id).toBe(2)
        expect([...applied.values()].every((n) => n === 1)).toBe(true)
        const health = yield* bus.health
        expect(health.details).toMatchObject({ counters: { "order.executed": { delivered: 10, reclaimed: deadPending, acked: 10 } } })
      }).pipe(Effect.provide(RedisEventBus.layer({ ...options, consumerName: "alive_instance" })))
    })
  })
})
