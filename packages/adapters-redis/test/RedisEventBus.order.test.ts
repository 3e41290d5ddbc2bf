import { describe, expect, it } from "@effect/vitest"
import { type Delivery, EventBus } from "@portfolio/core"
import { Chunk, Effect, Fiber, Ref, Stream } from "effect"
import fc from "fast-check"
import { RedisEventBus } from "../src/index.js"
import { byMergeKey, consume, eventually, label, pendingCount, pythonFields, redisForFile, xadd } from "./harness.js"

const redis = redisForFile()

type Options = ReturnType<typeof redis.busOptions>
const keyOf = (options: Options, type: string) => `${options.streamPrefix}${type}`
const groupOf = (options: Options, type: string) => `quantum:group:${options.serviceName}:${type}`

/** Every entry of the given streams, as `{ eventType, id }`. */
const written = (options: Options, types: ReadonlyArray<string>) =>
  Effect.forEach(types, (eventType) =>
    Effect.promise(() => redis.raw().xrange(keyOf(options, eventType), "-", "+")).pipe(
      Effect.map((entries) => entries.map(([id]) => ({ eventType, id })))
    )).pipe(Effect.map((lists) => lists.flat()))

const inMergeOrder = <A extends { readonly eventType: string; readonly id: string }>(entries: ReadonlyArray<A>) => [...entries].sort(byMergeKey)

const opened = (n: number) => pythonFields("trade.opened", { trade_id: `t-${n}`, symbol: "BTCUSDT", side: "BUY", quantity: 1, entry_price: 40_000 })
const closed = (n: number) => pythonFields("trade.closed", { trade_id: `t-${n}`, exit_price: 41_000, quantity: 1 })
const tick = (n: number) => pythonFields("market.tick", { symbol: "BTCUSDT", price: 40_000 + n })

describe("RedisEventBus delivers every subscribed type in one order", () => {
  it.live("a backlog of 200 opens, a close and 30 open/close pairs written before subscribing comes out in id order", () => {
    const options = redis.busOptions({ batchSize: 50 })
    const types = ["trade.opened", "trade.closed"]
    return Effect.gen(function*() {
      const raw = redis.raw()
      for (let n = 0; n < 200; n++) yield* xadd(raw, keyOf(options, "trade.opened"), "*", opened(n))
      yield* xadd(raw, keyOf(options, "trade.closed"), "*", closed(0))
      for (let n = 200; n < 230; n++) {
        yield* xadd(raw, keyOf(options, "trade.opened"), "*", opened(n))
        yield* xadd(raw, keyOf(options, "trade.closed"), "*", closed(n))
      }
      const all = yield* written(options, types)
      expect(all).toHaveLength(261)
      const delivered = yield* consume(types, all.length)
      expect(delivered.map(label)).toEqual(inMergeOrder(all).map(label))
      // What the service cares about: no close before its open.
      const seen = new Set<string>()
      for (const d of delivered) {
        const tradeId = JSON.parse(d.fields["payload"]!).trade_id as string
        if (d.eventType === "trade.opened") seen.add(tradeId)
        else expect(seen.has(tradeId), tradeId).toBe(true)
      }
      for (const type of types) expect(yield* pendingCount(raw, keyOf(options, type), groupOf(options, type))).toBe(0)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it("any interleaving of writes to 3–5 streams, before and during the subscription, in any batch size: nondecreasing merge order, each entry once", async () => {
    const pool = ["trade.opened", "order.executed", "trade.closed", "market.tick", "ess.tripped", "risk.alert"]
    const write = fc.record({ stream: fc.nat({ max: 4 }), nextMillisecond: fc.boolean() })
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray(pool, { minLength: 3, maxLength: 5 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(write, { maxLength: 40 }),
        fc.array(fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 15 }), { maxLength: 4 }),
        (types, batchSize, before, bursts) =>
          Effect.runPromise(Effect.gen(function*() {
            const options = redis.busOptions({ batchSize, block: "100 millis" })
            const raw = redis.raw()
            // Before: explicit ids sharing milliseconds across streams, so that type rank decides ties.
            let ms = 1_000_000
            for (const w of before) {
              if (w.nextMillisecond) ms++
              yield* xadd(raw, keyOf(options, types[w.stream % types.length]!), `${ms}-*`, tick(w.stream))
            }
            const total = before.length + bursts.reduce((n, b) => n + b.length, 0)
            yield* Effect.gen(function*() {
              const bus = yield* EventBus
              const got = yield* Ref.make<ReadonlyArray<Delivery>>([])
              const reading = yield* bus.subscribe(types).pipe(
                Stream.runForEachChunk((chunk) =>
                  Effect.zipRight(bus.ackAll(Chunk.toReadonlyArray(chunk)), Ref.update(got, (all) => [...all, ...chunk]))
                ),
                Effect.fork
              )
              // During: bursts of server-stamped writes, each burst one pipeline (same milliseconds likely).
              for (const burst of bursts) {
                const pipeline = raw.pipeline()
                for (const s of burst) pipeline.xadd(keyOf(options, types[s % types.length]!), "*", ...tick(s))
                yield* Effect.promise(() => pipeline.exec())
              }
              yield* eventually("every entry", Effect.map(Ref.get(got), (all) => all.length >= total), 20_000)
              const delivered = yield* Ref.get(got)
              for (let i = 1; i < delivered.length; i++) {
                expect(byMergeKey(delivered[i - 1]!, delivered[i]!), `${label(delivered[i - 1]!)} then ${label(delivered[i]!)}`).toBeLessThanOrEqual(0)
              }
              const all = yield* written(options, types)
              expect(delivered.map(label).sort()).toEqual(all.map(label).sort())
              yield* eventually(
                "every entry acknowledged",
                Effect.map(Effect.forEach(types, (t) => pendingCount(raw, keyOf(options, t), groupOf(options, t))), (counts) => counts.every((n) => n === 0))
              )
              yield* Fiber.interrupt(reading)
            }).pipe(Effect.provide(RedisEventBus.layer(options)))
          }))
      ),
      { numRuns: 15 }
    )
  }, 120_000)

  it.live("after a crash, the entries it held come first and in merged order, before newer ones", () => {
    const options = redis.busOptions({ batchSize: 3, consumerName: "fixed_instance", claimIdle: "1 hour" })
    const types = ["trade.opened", "trade.closed", "market.tick"]
    return Effect.gen(function*() {
      const raw = redis.raw()
      for (let n = 0; n < 12; n++) {
        yield* xadd(raw, keyOf(options, "trade.opened"), `${2_000_000 + 3 * n}-1`, opened(n))
        yield* xadd(raw, keyOf(options, "market.tick"), `${2_000_000 + 3 * n}-0`, tick(n))
        yield* xadd(raw, keyOf(options, "trade.closed"), `${2_000_000 + 3 * n + 1}-0`, closed(n))
      }
      // The first run takes ten, settles four, and dies holding the rest (and what it read ahead).
      const first = yield* Effect.gen(function*() {
        const bus = yield* EventBus
        const taken = yield* consume(types, 10, { ack: false })
        yield* bus.ackAll(taken.slice(0, 4))
        return taken
      }).pipe(Effect.provide(RedisEventBus.layer(options)))
      const held = first.slice(4)
      // Newer entries arrive on the other streams meanwhile.
      for (let n = 12; n < 16; n++) {
        yield* xadd(raw, keyOf(options, "trade.closed"), "*", closed(n))
        yield* xadd(raw, keyOf(options, "market.tick"), "*", tick(n))
      }
      const remaining = (yield* written(options, types)).filter((e) => !first.slice(0, 4).some((a) => label(a) === label(e)))
      const second = yield* consume(types, remaining.length).pipe(Effect.provide(RedisEventBus.layer(options)))
      expect(second.map(label)).toEqual(inMergeOrder(remaining).map(label))
      expect(second.slice(0, held.length).map(label)).toEqual(held.map(label))
      for (const d of second.slice(0, held.length)) expect(d.deliveryCount).toBe(2)
    })
  })

  it.live("a connection reset mid-stream starts over from the pending entries, skipping those in flight: none lost, none twice", () => {
    const options = redis.busOptions({ batchSize: 4, consumerName: "reset_instance", claimIdle: "1 hour", block: "100 millis" })
    const types = ["order.executed", "market.tick"]
    return Effect.gen(function*() {
      const raw = redis.raw()
      for (let n = 0; n < 20; n++) {
        yield* xadd(raw, keyOf(options, types[n % 2]!), "*", tick(n))
      }
      const bus = yield* EventBus
      const got: Array<Delivery> = []
      const killed = yield* Ref.make(false)
      // Holds every delivery unsettled until the end, so that a restart finds them pending and in flight.
      const reading = yield* bus.subscribe(types).pipe(
        Stream.runForEachChunk((chunk) =>
          Effect.gen(function*() {
            got.push(...chunk)
            if (got.length >= 8 && !(yield* Ref.getAndSet(killed, true))) {
              const clients = (yield* Effect.promise(() => raw.client("LIST") as Promise<string>)).split("\n")
              const reader = clients.find((line) => line.includes("name=reset_instance:reader"))!
              const id = /id=(\d+)/.exec(reader)![1]!
              yield* Effect.promise(() => raw.client("KILL", "ID", id))
              for (let n = 20; n < 30; n++) yield* xadd(raw, keyOf(options, types[n % 2]!), "*", tick(n))
            }
          })
        ),
        Effect.fork
      )
      yield* eventually("all thirty", Effect.sync(() => got.length >= 30))
      yield* bus.ackAll(got)
      yield* Fiber.interrupt(reading)
      const all = yield* written(options, types)
      expect(got.map(label)).toEqual(inMergeOrder(all).map(label))
      for (const type of types) expect(yield* pendingCount(raw, keyOf(options, type), groupOf(options, type))).toBe(0)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })

  it.live("entries a dead consumer held are claimed into the merge in order, and counted as reclaimed", () => {
    const options = redis.busOptions({ batchSize: 4, claimIdle: "300 millis", claimInterval: "100 millis" })
    const types = ["trade.opened", "trade.closed"]
    return Effect.gen(function*() {
      const raw = redis.raw()
      for (let n = 0; n < 8; n++) {
        yield* xadd(raw, keyOf(options, "trade.opened"), "*", opened(n))
        yield* xadd(raw, keyOf(options, "trade.closed"), "*", closed(n))
      }
      const taken = yield* consume(types, 5, { ack: false }).pipe(
        Effect.provide(RedisEventBus.layer({ ...options, consumerName: "dead_instance", claimIdle: "1 hour" }))
      )
      // Everything it read is pending under its name, delivered or only read ahead.
      const deadPending = (yield* Effect.forEach(types, (t) => pendingCount(raw, keyOf(options, t), groupOf(options, t)))).reduce((a, b) => a + b, 0)
      expect(deadPending).toBeGreaterThanOrEqual(5)
      for (let n = 8; n < 12; n++) {
        yield* xadd(raw, keyOf(options, "trade.opened"), "*", opened(n))
        yield* xadd(raw, keyOf(options, "trade.closed"), "*", closed(n))
      }
      // Once its entries are idle past claimIdle, the next instance starts by claiming them.
      yield* eventually(
        "the dead consumer's entries to be idle for 300 ms",
        Effect.map(
          Effect.forEach(types, (t) =>
            Effect.promise(() => raw.xpending(keyOf(options, t), groupOf(options, t), "IDLE", 300, "-", "+", 100) as Promise<Array<unknown>>)),
          (lists) => lists.reduce((n, l) => n + l.length, 0) === deadPending
        )
      )
      yield* Effect.gen(function*() {
        const all = yield* written(options, types)
        const delivered = yield* consume(types, all.length)
        expect(delivered.map(label)).toEqual(inMergeOrder(all).map(label))
        const counts = new Map(delivered.map((d) => [label(d), d.deliveryCount]))
        for (const d of taken) expect(counts.get(label(d)), label(d)).toBe(2)
        const health = yield* Effect.flatMap(EventBus, (bus) => bus.health)
        const counters = (health.details as { counters: Record<string, { reclaimed: number }> }).counters
        expect(counters["trade.opened"]!.reclaimed + counters["trade.closed"]!.reclaimed).toBe(deadPending)
      }).pipe(Effect.provide(RedisEventBus.layer({ ...options, consumerName: "alive_instance" })))
    })
  })

  it.live("ackAll settles deliveries of several streams in one go", () => {
    const options = redis.busOptions()
    const types = ["trade.opened", "order.executed", "market.tick"]
    return Effect.gen(function*() {
      const raw = redis.raw()
      for (let n = 0; n < 5; n++) for (const type of types) yield* xadd(raw, keyOf(options, type), "*", tick(n))
      const bus = yield* EventBus
      const delivered = yield* consume(types, 15, { ack: false })
      for (const type of types) expect(yield* pendingCount(raw, keyOf(options, type), groupOf(options, type))).toBe(5)
      yield* bus.ackAll(delivered)
      for (const type of types) expect(yield* pendingCount(raw, keyOf(options, type), groupOf(options, type))).toBe(0)
      const health = yield* bus.health
      expect(health.details).toMatchObject({
        counters: Object.fromEntries(types.map((t) => [t, { delivered: 5, acked: 5 }])),
        lag: Object.fromEntries(types.map((t) => [t, 0]))
      })
      // Settling again changes nothing.
      yield* bus.ackAll(delivered)
      expect((yield* bus.health).details).toMatchObject({ counters: { "market.tick": { acked: 5 } } })
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  })
})
