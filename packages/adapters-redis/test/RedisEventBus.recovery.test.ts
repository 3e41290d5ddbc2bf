import { describe, expect, it } from "@effect/vitest"
import { EventBus, type IncomingEventOf } from "@portfolio/core"
import { Effect, Either, Fiber } from "effect"
import { RedisEventBus } from "../src/index.js"
import { ConsumerLoop } from "../src/testing/index.js"
import { eventually, redisForFile } from "./harness.js"

const redis = redisForFile()

const fill = (n: number) => ({
  event_type: "order.executed",
  payload: JSON.stringify({ order_id: `order-${n}`, symbol: "ETHUSDT", side: "SELL", quantity: 0.5, price: 3_000 + n }),
  trace_id: `trace-${n}`,
  timestamp: new Date().toISOString(),
  source: "execution_service"
})

describe("RedisEventBus across a Redis crash", () => {
  it.live("loses nothing a producer had acknowledged when Redis is SIGKILLed and restarted mid-stream", () => {
    // No reclaiming: entries left pending by a lost reply must come back by the read of pending entries.
    const options = redis.busOptions({ block: "200 millis", claimIdle: "1 hour" })
    const total = 500
    return Effect.gen(function*() {
      // The idempotent consumer: applies each order once, however often it is delivered.
      const applied = new Set<string>()
      let deliveries = 0
      const consumer = yield* Effect.fork(
        ConsumerLoop.run({
          eventTypes: ["order.executed"],
          apply: (event) =>
            Effect.sync(() => {
              deliveries++
              applied.add((event as IncomingEventOf<"order.executed">).payload.order_id)
            })
        }).pipe(Effect.provide(RedisEventBus.layer(options)))
      )
      const acknowledged: Array<string> = []
      const failed: Array<string> = []
      const producer = yield* Effect.fork(
        Effect.gen(function*() {
          const bus = yield* EventBus
          for (let n = 0; n < total; n++) {
            const published = yield* Effect.either(bus.publish(fill(n)))
            ;(Either.isRight(published) ? acknowledged : failed).push(`order-${n}`)
          }
        }).pipe(Effect.provide(RedisEventBus.layer(options)))
      )
      yield* eventually("a third of the entries to be published", Effect.sync(() => acknowledged.length >= total / 3))
      yield* redis.server().kill
      const atKill = acknowledged.length
      yield* Effect.sleep("400 millis")
      yield* redis.server().restart
      yield* Fiber.join(producer)
      expect(atKill).toBeLessThan(total)
      expect(failed).toEqual([])
      expect(acknowledged).toHaveLength(total)
      yield* eventually(
        "every acknowledged entry to be applied",
        Effect.sync(() => acknowledged.every((id) => applied.has(id))),
        30_000
      )
      // Nothing is left pending: every delivery is acknowledged after the restart too.
      yield* eventually(
        "nothing left pending",
        Effect.map(
          Effect.promise(() => redis.raw().xpending(`${options.streamPrefix}order.executed`, `quantum:group:${options.serviceName}:order.executed`)),
          (summary) => (summary as Array<unknown>)[0] === 0
        )
      )
      yield* Fiber.interrupt(consumer)
      expect(applied.size).toBe(total)
      expect(deliveries).toBeGreaterThanOrEqual(total)
    })
  }, 60_000)

  it.live("health goes ok → degraded → down while Redis is away, and ok again when it is back", () => {
    const options = redis.busOptions({ downAfter: "600 millis" })
    return Effect.gen(function*() {
      const bus = yield* EventBus
      const status = Effect.map(bus.health, (h) => h.status)
      yield* eventually("ok", Effect.map(status, (s) => s === "ok"))
      yield* redis.server().kill
      yield* eventually("degraded", Effect.map(status, (s) => s === "degraded"))
      const degraded = yield* bus.health
      expect(degraded.message).toMatch(/^reconnecting to redis:\/\/127\.0\.0\.1:\d+\/0 for \d+\.\d s/)
      yield* eventually("down", Effect.map(status, (s) => s === "down"))
      expect((yield* bus.health).message).toMatch(/^disconnected from/)
      // A publish made while Redis is away waits for it instead of failing.
      const publishing = yield* Effect.fork(bus.publish(fill(1)))
      yield* Effect.sleep("200 millis")
      expect(publishing.unsafePoll()).toBeNull()
      yield* redis.server().restart
      yield* Fiber.join(publishing)
      yield* eventually("ok again", Effect.map(status, (s) => s === "ok"))
      expect(yield* Effect.promise(() => redis.raw().xlen(`${options.streamPrefix}order.executed`))).toBe(1)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })
})
