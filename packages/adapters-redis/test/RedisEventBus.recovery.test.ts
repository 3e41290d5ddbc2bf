import { describe, expect, it } from "@effect/vitest"
import { EventBus } from "@portfolio/core"
import { Chunk, Effect, Either, Fiber, Stream } from "effect"
import { RedisEventBus } from "../src/index.js"
import { eventually, pendingCount, redisForFile } from "./harness.js"

const redis = redisForFile()

const fill = (n: number) => ({
  event_type: "order.executed",
  payload: JSON.stringify({ order_id: `order-${n}`, symbol: "ETHUSDT", side: "SELL", quantity: 0.5, price: 3_000 + n }),
  trace_id: `trace-${n}`,
  timestamp: new Date().toISOString(),
  source: "execution_service"
})

const tick = (n: number) => ({
  event_type: "market.tick",
  payload: JSON.stringify({ symbol: "ETHUSDT", price: 3_000 + n, seq: n }),
  trace_id: "",
  timestamp: new Date().toISOString(),
  source: "market_data"
})

describe("RedisEventBus across a Redis crash", () => {
  it.live("loses nothing a producer had acknowledged, and redelivers nothing acked, when Redis is SIGKILLed and restarted mid-stream", () => {
    // No reclaiming: entries left pending by a lost reply must come back by the read of pending entries.
    const options = redis.busOptions({ block: "200 millis", claimIdle: "1 hour", batchSize: 20 })
    const total = 500
    return Effect.gen(function*() {
      // The consumer, as the service: each chunk handled in order, then settled with ackAll.
      // An entry delivered again after its ack succeeded would be a bug (an ack whose reply was
      // lost may be redelivered: that one is not in `acked`).
      const acked = new Set<string>()
      const applied = new Set<string>()
      const redeliveredAfterAck: Array<string> = []
      const consumer = yield* Effect.fork(
        Effect.gen(function*() {
          const bus = yield* EventBus
          yield* bus.subscribe(["order.executed", "market.tick"]).pipe(
            Stream.runForEachChunk((chunk) =>
              Effect.gen(function*() {
                const deliveries = Chunk.toReadonlyArray(chunk)
                for (const d of deliveries) {
                  const key = `${d.eventType} ${d.id}`
                  if (acked.has(key)) redeliveredAfterAck.push(key)
                  const payload = JSON.parse(d.fields["payload"]!) as { order_id?: string; seq?: number }
                  applied.add(payload.order_id ?? `tick-${payload.seq}`)
                }
                yield* bus.ackAll(deliveries)
                for (const d of deliveries) acked.add(`${d.eventType} ${d.id}`)
              })
            )
          )
        }).pipe(Effect.provide(RedisEventBus.layer(options)))
      )
      const acknowledged: Array<string> = []
      const failed: Array<string> = []
      const producer = yield* Effect.fork(
        Effect.gen(function*() {
          const bus = yield* EventBus
          for (let n = 0; n < total; n++) {
            const [envelope, id] = n % 2 === 0 ? [fill(n), `order-${n}`] : [tick(n), `tick-${n}`]
            const published = yield* Effect.either(bus.publish(envelope))
            ;(Either.isRight(published) ? acknowledged : failed).push(id)
          }
        }).pipe(Effect.provide(RedisEventBus.layer(options)))
      )
      yield* eventually("a third of the entries to be published", Effect.sync(() => acknowledged.length >= total / 3))
      yield* redis.server().kill
      const atKill = acknowledged.length
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
      for (const type of ["order.executed", "market.tick"]) {
        yield* eventually(
          `nothing of ${type} left pending`,
          Effect.map(pendingCount(redis.raw(), `${options.streamPrefix}${type}`, `quantum:group:${options.serviceName}:${type}`), (n) => n === 0)
        )
      }
      yield* Fiber.interrupt(consumer)
      expect(applied.size).toBe(total)
      expect(redeliveredAfterAck).toEqual([])
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
      // A publish made while Redis is away waits for it instead of failing: it succeeds once
      // Redis is back, though it was issued while the bus was down.
      const publishing = yield* Effect.fork(Effect.either(bus.publish(fill(1))))
      yield* redis.server().restart
      expect(Either.isRight(yield* Fiber.join(publishing))).toBe(true)
      yield* eventually("ok again", Effect.map(status, (s) => s === "ok"))
      expect(yield* Effect.promise(() => redis.raw().xlen(`${options.streamPrefix}order.executed`))).toBe(1)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })
})
