import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Stream } from "effect"
import { EventBus } from "../src/ports/EventBus.js"
import { InvalidEvent } from "../src/schema/Envelope.js"
import { MemoryEventBus } from "../src/memory/index.js"
import { eventBusContract, sampleEnvelope } from "../src/testing/EventBusContract.js"

eventBusContract("MemoryEventBus", () => MemoryEventBus.layer, {
  deadLetters: (type) => Effect.map(MemoryEventBus.deadLetters(type), (entries) => entries.map((e) => e.fields))
})

const invalid = new InvalidEvent({ eventType: "market.tick", reason: "payload.price: must be a positive price", issues: [] })

describe("MemoryEventBus", () => {
  it.effect("keeps what was published, per type and in order across types", () =>
    Effect.gen(function*() {
      const bus = yield* EventBus
      yield* bus.publish(sampleEnvelope("market.tick", 1))
      yield* bus.publish(sampleEnvelope("trade.opened", 2))
      yield* bus.publish(sampleEnvelope("market.tick", 3))
      const ticks = yield* MemoryEventBus.published("market.tick")
      expect(ticks.map((e) => JSON.parse(e.fields["payload"]!).seq)).toEqual([1, 3])
      const all = yield* MemoryEventBus.published()
      expect(all.map((e) => e.eventType)).toEqual(["market.tick", "trade.opened", "market.tick"])
      expect(yield* MemoryEventBus.published("ess.tripped")).toEqual([])
    }).pipe(Effect.provide(MemoryEventBus.layer)))

  it.effect("counts deliveries, redeliveries, acks and dead letters per type, and reports them in health", () =>
    Effect.gen(function*() {
      const bus = yield* EventBus
      for (const n of [1, 2, 3]) yield* bus.publish(sampleEnvelope("market.tick", n))
      // Take all three: ack one, dead-letter one, leave one unsettled.
      yield* bus.subscribe(["market.tick"]).pipe(
        Stream.take(3),
        Stream.zipWithIndex,
        Stream.runForEach(([d, i]) => (i === 0 ? d.ack : i === 1 ? d.deadLetter(invalid) : Effect.void))
      )
      const again = yield* bus.subscribe(["market.tick"]).pipe(Stream.take(1), Stream.runCollect)
      const redelivered = Chunk.unsafeHead(again)
      expect(redelivered.deliveryCount).toBe(2)
      yield* redelivered.ack
      yield* redelivered.ack
      const counters = yield* MemoryEventBus.counters
      expect(counters["market.tick"]).toEqual({ published: 3, delivered: 4, redelivered: 1, acked: 2, deadLettered: 1 })
      const health = yield* bus.health
      expect(health.details).toEqual({ kind: "memory", counters })
      const parked = yield* MemoryEventBus.deadLetters("market.tick")
      expect(parked).toHaveLength(1)
      expect(parked[0]!.fields["error"]).toBe(invalid.reason)
    }).pipe(Effect.provide(MemoryEventBus.layer)))

  it.effect("an ack made after the subscriber's stream ended still settles the entry", () =>
    Effect.gen(function*() {
      const bus = yield* EventBus
      yield* bus.publish(sampleEnvelope("market.tick", 1))
      yield* bus.publish(sampleEnvelope("market.tick", 2))
      const [late] = yield* bus.subscribe(["market.tick"]).pipe(Stream.take(1), Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      yield* late!.ack
      const next = yield* bus.subscribe(["market.tick"]).pipe(Stream.take(1), Stream.runCollect)
      expect(JSON.parse(Chunk.unsafeHead(next).fields["payload"]!).seq).toBe(2)
    }).pipe(Effect.provide(MemoryEventBus.layer)))

  it.effect("keeps at most `retention` entries per type, dropping the oldest, like MAXLEN ~", () =>
    Effect.gen(function*() {
      const bus = yield* EventBus
      for (let n = 0; n < 250; n++) yield* bus.publish(sampleEnvelope("market.tick", n))
      const kept = yield* MemoryEventBus.published("market.tick")
      expect(kept.length).toBeGreaterThanOrEqual(100)
      expect(kept.length).toBeLessThanOrEqual(110)
      expect(JSON.parse(kept.at(-1)!.fields["payload"]!).seq).toBe(249)
      // Undelivered entries are bounded too: the subscriber sees the newest ones.
      const first = yield* bus.subscribe(["market.tick"]).pipe(Stream.take(1), Stream.runCollect)
      expect(JSON.parse(Chunk.unsafeHead(first).fields["payload"]!).seq).toBeGreaterThanOrEqual(250 - 128)
    }).pipe(Effect.provide(MemoryEventBus.layerWith({ retention: 100 }))))

  it.effect("separate layers are separate buses", () =>
    Effect.gen(function*() {
      const a = yield* MemoryEventBus.make()
      const b = yield* MemoryEventBus.make()
      yield* a.bus.publish(sampleEnvelope("market.tick", 1))
      expect(yield* a.inspector.published()).toHaveLength(1)
      expect(yield* b.inspector.published()).toHaveLength(0)
    }))
})
