import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Fiber, Option, Stream, TestClock } from "effect"
import { PriceFeed } from "../src/ports/PriceFeed.js"
import * as MemoryPriceFeed from "../src/memory/MemoryPriceFeed.js"

/**
 * Collects the first `n` ticks of the feed while pushing `feedOne(i)` until they arrive (the
 * reader subscribes to the feed's hub asynchronously; pushing until it has enough avoids
 * guessing when it is ready). Bounded: fails after 500 rounds.
 */
const collectWhilePushing = (n: number, feedOne: (round: number) => Effect.Effect<void, unknown, MemoryPriceFeed.Control>) =>
  Effect.gen(function*() {
    const feed = yield* PriceFeed
    const reader = yield* Effect.fork(Stream.runCollect(Stream.take(feed.ticks, n)))
    for (let round = 0; round < 500; round++) {
      yield* feedOne(round)
      yield* Effect.yieldNow()
      const done = yield* Fiber.poll(reader)
      if (Option.isSome(done)) break
    }
    return Chunk.toReadonlyArray(yield* Fiber.join(reader))
  })

describe("MemoryPriceFeed", () => {
  it.effect("ticks carry only subscribed symbols; latest learns every price", () =>
    Effect.gen(function*() {
      const feed = yield* PriceFeed
      yield* feed.subscribe(["btcusdt"])
      const ticks = yield* collectWhilePushing(3, (round) =>
        Effect.zipRight(
          MemoryPriceFeed.push({ symbol: "ETHUSDT", price: 3000 + round, at: round }),
          MemoryPriceFeed.push({ symbol: "BTCUSDT", price: 60_000 + round, at: round })
        ))
      expect(ticks).toHaveLength(3)
      expect(ticks.every((t) => t.symbol === "BTCUSDT")).toBe(true)
      expect(ticks.map((t) => t.price)).toEqual([...ticks.map((t) => t.at)].map((at) => 60_000 + at))
      const eth = yield* feed.latest("ethusdt")
      expect(Option.map(eth, (t) => t.symbol)).toEqual(Option.some("ETHUSDT"))
      expect(Option.isNone(yield* feed.latest("SOLUSDT"))).toBe(true)
    }).pipe(Effect.provide(MemoryPriceFeed.layer)))

  it.effect("unsubscribe stops the ticks of a symbol, keeps its last price", () =>
    Effect.gen(function*() {
      const feed = yield* PriceFeed
      const control = yield* MemoryPriceFeed.Control
      yield* feed.subscribe(["BTCUSDT", "ETHUSDT"])
      expect(yield* control.subscribed).toEqual(["BTCUSDT", "ETHUSDT"])
      yield* feed.unsubscribe([" btcusdt "])
      expect(yield* control.subscribed).toEqual(["ETHUSDT"])
      const ticks = yield* collectWhilePushing(2, (round) =>
        Effect.zipRight(
          MemoryPriceFeed.push({ symbol: "BTCUSDT", price: 1 + round, at: round }),
          MemoryPriceFeed.push({ symbol: "ETHUSDT", price: 2 + round, at: round })
        ))
      expect(ticks.map((t) => t.symbol)).toEqual(["ETHUSDT", "ETHUSDT"])
      expect(Option.isSome(yield* feed.latest("BTCUSDT"))).toBe(true)
    }).pipe(Effect.provide(MemoryPriceFeed.layer)))

  it.effect("ignores a tick older than the latest of its symbol", () =>
    Effect.gen(function*() {
      const feed = yield* PriceFeed
      yield* MemoryPriceFeed.push({ symbol: "BTCUSDT", price: 100, at: 2_000 })
      yield* MemoryPriceFeed.push({ symbol: "BTCUSDT", price: 90, at: 1_000 })
      expect(yield* feed.latest("BTCUSDT")).toEqual(Option.some({ symbol: "BTCUSDT", price: 100, at: 2_000 }))
      yield* MemoryPriceFeed.push({ symbol: "BTCUSDT", price: 110, at: 3_000 })
      expect(yield* feed.latest("BTCUSDT")).toEqual(Option.some({ symbol: "BTCUSDT", price: 110, at: 3_000 }))
    }).pipe(Effect.provide(MemoryPriceFeed.layer)))

  it.effect("rejects prices that are not finite and positive, and empty symbols", () =>
    Effect.gen(function*() {
      for (const price of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const error = yield* Effect.flip(MemoryPriceFeed.push({ symbol: "BTCUSDT", price, at: 1 }))
        expect(error._tag).toBe("PriceFeedError")
        expect(error.retryable).toBe(false)
      }
      const feed = yield* PriceFeed
      expect((yield* Effect.flip(feed.subscribe([" "])))._tag).toBe("PriceFeedError")
    }).pipe(Effect.provide(MemoryPriceFeed.layer)))

  it.effect("health turns degraded when a subscribed symbol's price goes stale, ok when it is fresh again", () =>
    Effect.gen(function*() {
      const feed = yield* PriceFeed
      expect((yield* feed.health).status).toBe("ok")
      yield* feed.subscribe(["BTCUSDT", "ETHUSDT"])
      yield* MemoryPriceFeed.push({ symbol: "BTCUSDT", price: 1, at: 0 })
      yield* MemoryPriceFeed.push({ symbol: "ETHUSDT", price: 1, at: 0 })
      expect((yield* feed.health).status).toBe("ok")
      yield* TestClock.adjust("6 seconds")
      yield* MemoryPriceFeed.push({ symbol: "ETHUSDT", price: 2, at: 6_000 })
      const health = yield* feed.health
      expect(health.status).toBe("degraded")
      expect(health.details).toMatchObject({ stale_symbols: ["BTCUSDT"], stale_count: 1 })
      yield* MemoryPriceFeed.push({ symbol: "BTCUSDT", price: 2, at: 6_000 })
      expect((yield* feed.health).status).toBe("ok")
    }).pipe(Effect.provide(MemoryPriceFeed.layerWith({ staleAfter: "5 seconds" }))))

  it.effect("a subscribed symbol that never gets a price is stale once staleAfter has passed", () =>
    Effect.gen(function*() {
      const feed = yield* PriceFeed
      yield* feed.subscribe(["SOLUSDT"])
      expect((yield* feed.health).status).toBe("ok")
      yield* TestClock.adjust("31 seconds")
      const health = yield* feed.health
      expect(health.status).toBe("degraded")
      expect(health.required).toBe(false)
      yield* feed.unsubscribe(["SOLUSDT"])
      expect((yield* feed.health).status).toBe("ok")
    }).pipe(Effect.provide(MemoryPriceFeed.layer)))

  it.effect("staleAfter infinity turns staleness off", () =>
    Effect.gen(function*() {
      const feed = yield* PriceFeed
      yield* feed.subscribe(["SOLUSDT"])
      yield* TestClock.adjust("365 days")
      expect((yield* feed.health).status).toBe("ok")
    }).pipe(Effect.provide(MemoryPriceFeed.layerWith({ staleAfter: Duration.infinity }))))
})
