/**
 * The contract every `EventBus` implementation passes (DESIGN.md §5): every event type makes
 * the round trip with exactly the fields published; an acknowledged entry is never delivered
 * again; an entry neither acknowledged nor dead-lettered when its subscriber's stream ends is
 * delivered again with a higher delivery count; a dead-lettered entry is parked with the
 * reason; subscribers of one bus share the work. Run it from an implementation's tests with a
 * factory that gives a fresh, empty bus each time and a reader of its dead letters.
 *
 * @example
 * eventBusContract("MemoryEventBus", () => MemoryEventBus.layer, {
 *   deadLetters: (type) => Effect.map(MemoryEventBus.deadLetters(type), (entries) => entries.map((e) => e.fields))
 * })
 *
 * @since 0.1.0
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Either, Fiber, type Layer, Stream } from "effect"
import { EventBus, type Delivery } from "../ports/EventBus.js"
import { decodeEnvelope, type Envelope } from "../schema/Envelope.js"
import { incomingEventTypes } from "../schema/EventsIn.js"
import { parseEventTime } from "../schema/Primitives.js"

/** What the contract needs beside the bus: a way to read what was dead-lettered. */
export interface EventBusContractOptions<R> {
  /** The fields of the dead-lettered entries of one event type, oldest first. */
  readonly deadLetters: (eventType: string) => Effect.Effect<ReadonlyArray<Readonly<Record<string, string>>>, unknown, R>
}

/** The event types the service publishes, as they appear on the bus. */
const outgoingEventTypes = [
  "portfolio.snapshot_updated",
  "portfolio.pnl_updated",
  "portfolio.exposure_updated",
  "portfolio.drawdown_updated"
] as const

const incomingPayloads: Record<string, Record<string, unknown>> = {
  "trade.opened": { trade_id: "t-1", symbol: "BTCUSDT", side: "LONG", entry_price: 42_000.5, quantity: 0.2, leverage: 10 },
  "trade.closed": { trade_id: "t-1", exit_price: 43_000.25, quantity: 0.2, realized_pnl: 199.95 },
  "order.executed": { order_id: "o-1", symbol: "ETHUSDT", side: "SELL", quantity: 1.5, price: 3_000.75 },
  "ess.tripped": { reason: "daily drawdown exceeds 10%", severity: "critical" },
  "market.tick": { symbol: "SOLUSDT", price: 150.125 }
}

/**
 * A sample envelope of each event type, as a publisher would send it; `n` makes it distinct.
 * Incoming types carry payloads that decode; outgoing types carry a small JSON object.
 */
export const sampleEnvelope = (eventType: string, n = 0): Envelope => {
  const base = incomingPayloads[eventType] ?? { sample: true, equity: 10_000 + n }
  const envelope: Envelope = {
    event_type: eventType,
    payload: JSON.stringify({ ...base, seq: n, timestamp: "2025-03-04T05:06:07.123456" }),
    trace_id: `trace-${eventType}-${n}`,
    timestamp: `2025-03-04T05:06:07.${String(n % 1_000_000).padStart(6, "0")}`,
    source: "contract_test"
  }
  return n % 2 === 0 ? { ...envelope, correlation_id: `corr-${n}` } : envelope
}

/** The fields a bus must deliver for an envelope that has every field set. */
const expectedFields = (envelope: Envelope): Record<string, string> => {
  const fields: Record<string, string> = {
    event_type: envelope.event_type,
    payload: envelope.payload,
    trace_id: envelope.trace_id,
    timestamp: envelope.timestamp ?? "",
    source: envelope.source
  }
  if (envelope.correlation_id !== undefined) fields["correlation_id"] = envelope.correlation_id
  return fields
}

const seqOf = (delivery: Delivery): number => (JSON.parse(delivery.fields["payload"] ?? "{}") as { seq: number }).seq

/**
 * Runs the `EventBus` contract against `makeLayer()`, a fresh, empty bus per test.
 */
export const eventBusContract = <R, E>(
  name: string,
  makeLayer: () => Layer.Layer<EventBus | R, E>,
  options: EventBusContractOptions<R>
): void => {
  const patience = "10 seconds"
  /** Takes `n` deliveries from a new subscription, handling each with `handle`, then ends it. */
  const take = (types: ReadonlyArray<string>, n: number, handle: (d: Delivery) => Effect.Effect<void, unknown> = () => Effect.void) =>
    Effect.flatMap(EventBus, (bus) =>
      bus.subscribe(types).pipe(
        Stream.take(n),
        Stream.tap(handle),
        Stream.runCollect,
        Effect.map(Chunk.toReadonlyArray),
        Effect.timeoutFail({ duration: patience, onTimeout: () => new Error(`fewer than ${n} deliveries of ${types.join(", ")} within ${patience}`) })
      )
    )
  const publishAll = (envelopes: ReadonlyArray<Envelope>) =>
    Effect.flatMap(EventBus, (bus) => Effect.forEach(envelopes, bus.publish, { discard: true }))
  const run = <A>(effect: Effect.Effect<A, unknown, EventBus | R>) => Effect.provide(effect, makeLayer())

  describe(`EventBus contract: ${name}`, () => {
    it.live("delivers every event type with exactly the fields published", () =>
      run(Effect.gen(function*() {
        const types = [...incomingEventTypes, ...outgoingEventTypes]
        const envelopes = types.map((type, i) => sampleEnvelope(type, i))
        yield* publishAll(envelopes)
        const deliveries = yield* take(types, types.length, (d) => d.ack)
        const byType = new Map(deliveries.map((d) => [d.eventType, d]))
        expect([...byType.keys()].sort()).toEqual([...types].sort())
        for (const envelope of envelopes) {
          const delivery = byType.get(envelope.event_type)!
          expect(delivery.fields).toEqual(expectedFields(envelope))
          expect(delivery.deliveryCount).toBe(1)
        }
        // Ids are unique within a type's stream (Redis ids of two streams can be equal).
        expect(new Set(deliveries.map((d) => `${d.eventType}/${d.id}`)).size).toBe(types.length)
        for (const type of incomingEventTypes) {
          const decoded = decodeEnvelope(byType.get(type)!.fields)
          expect(Either.isRight(decoded) && decoded.right.type).toBe(type)
        }
      })))

    it.live("stamps a missing timestamp with the Z-suffixed current time and omits an absent correlation_id", () =>
      run(Effect.gen(function*() {
        const before = Date.now()
        const { correlation_id: _, timestamp: __, ...bare } = sampleEnvelope("market.tick", 0)
        yield* publishAll([bare])
        const [delivery] = yield* take(["market.tick"], 1, (d) => d.ack)
        const after = Date.now()
        expect(Object.keys(delivery!.fields).sort()).toEqual(["event_type", "payload", "source", "timestamp", "trace_id"])
        const stamp = delivery!.fields["timestamp"]!
        expect(stamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
        const at = parseEventTime(stamp)!
        expect(at).toBeGreaterThanOrEqual(before - 1)
        expect(at).toBeLessThanOrEqual(after + 1)
      })))

    it.live("delivers in publication order, including entries published while the subscriber waits", () =>
      run(Effect.gen(function*() {
        const envelopes = Array.from({ length: 20 }, (_, i) => sampleEnvelope("market.tick", i))
        yield* publishAll(envelopes.slice(0, 10))
        const subscriber = yield* Effect.fork(take(["market.tick"], 20, (d) => d.ack))
        yield* publishAll(envelopes.slice(10))
        const deliveries = yield* Fiber.join(subscriber)
        expect(deliveries.map(seqOf)).toEqual(envelopes.map((_, i) => i))
      })))

    it.live("never delivers an acknowledged entry again, and delivers an unsettled one again with a higher count", () =>
      run(Effect.gen(function*() {
        yield* publishAll([0, 1, 2].map((n) => sampleEnvelope("market.tick", n)))
        // The first subscriber acknowledges entry 0 and leaves 1 and 2 unsettled.
        const first = yield* take(["market.tick"], 3, (d) => (seqOf(d) === 0 ? d.ack : Effect.void))
        expect(first.map(seqOf)).toEqual([0, 1, 2])
        yield* publishAll([sampleEnvelope("market.tick", 3)])
        const second = yield* take(["market.tick"], 3, (d) => d.ack)
        const bySeq = new Map(second.map((d) => [seqOf(d), d]))
        expect([...bySeq.keys()].sort()).toEqual([1, 2, 3])
        expect(bySeq.get(1)!.deliveryCount).toBe(2)
        expect(bySeq.get(2)!.deliveryCount).toBe(2)
        expect(bySeq.get(3)!.deliveryCount).toBe(1)
        expect(bySeq.get(1)!.id).toBe(first[1]!.id)
        expect(bySeq.get(1)!.fields).toEqual(first[1]!.fields)
        // Everything is settled now: the next subscriber sees only what is published next.
        yield* publishAll([sampleEnvelope("market.tick", 4)])
        const third = yield* take(["market.tick"], 1, (d) => d.ack)
        expect(third.map(seqOf)).toEqual([4])
      })))

    it.live("parks a dead-lettered entry with its fields, the reason, the time and its id, and never delivers it again", () =>
      run(Effect.gen(function*() {
        const bad: Envelope = { ...sampleEnvelope("trade.opened", 1), payload: "{not json" }
        yield* publishAll([bad, sampleEnvelope("trade.opened", 2)])
        const before = Date.now()
        const reasons: Array<string> = []
        const deliveries = yield* take(["trade.opened"], 2, (d) =>
          Either.match(decodeEnvelope(d.fields), {
            onLeft: (invalid) => Effect.zipRight(Effect.sync(() => reasons.push(invalid.reason)), d.deadLetter(invalid)),
            onRight: () => d.ack
          }))
        const after = Date.now()
        expect(reasons).toHaveLength(1)
        expect(reasons[0]).toContain("payload")
        const parked = yield* options.deadLetters("trade.opened")
        expect(parked).toHaveLength(1)
        const { error, failed_at, original_id, ...original } = parked[0]!
        expect(original).toEqual(expectedFields(bad))
        expect(error).toBe(reasons[0])
        expect(original_id).toBe(deliveries[0]!.id)
        const failedAt = parseEventTime(failed_at!)!
        expect(failed_at).toMatch(/Z$/)
        expect(failedAt).toBeGreaterThanOrEqual(before - 1)
        expect(failedAt).toBeLessThanOrEqual(after + 1)
        yield* publishAll([sampleEnvelope("trade.opened", 3)])
        const next = yield* take(["trade.opened"], 1, (d) => d.ack)
        expect(next.map(seqOf)).toEqual([3])
        expect(yield* options.deadLetters("trade.opened")).toHaveLength(1)
      })))

    it.live("shares the work between concurrent subscribers: each entry goes to one of them", () =>
      run(Effect.gen(function*() {
        const bus = yield* EventBus
        const total = 40
        const seen = new Map<number, number>()
        const done = yield* Deferred.make<void>()
        const consume = bus.subscribe(["order.executed"]).pipe(
          Stream.runForEach((d) =>
            Effect.zipRight(
              d.ack,
              Effect.suspend(() => {
                seen.set(seqOf(d), (seen.get(seqOf(d)) ?? 0) + 1)
                return seen.size === total ? Deferred.succeed(done, undefined) : Effect.void
              })
            )
          )
        )
        const fibers = yield* Effect.forEach([1, 2], () => Effect.fork(consume))
        yield* publishAll(Array.from({ length: total }, (_, i) => sampleEnvelope("order.executed", i)))
        yield* Deferred.await(done).pipe(Effect.timeoutFail({ duration: patience, onTimeout: () => new Error(`only ${seen.size} of ${total} delivered`) }))
        yield* Effect.forEach(fibers, Fiber.interrupt)
        expect([...seen.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i))
        expect([...seen.values()].every((count) => count === 1)).toBe(true)
      })))

    it.live("reports itself healthy", () =>
      run(Effect.gen(function*() {
        const bus = yield* EventBus
        yield* bus.publish(sampleEnvelope("market.tick", 1))
        const health = yield* bus.health
        expect(health.status).toBe("ok")
        expect(health.required).toBe(true)
      })))
  })
}
