import { describe, expect, it } from "@effect/vitest"
import { PriceFeed, type PriceFeedService } from "@portfolio/core"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import * as BinancePriceFeed from "../src/BinancePriceFeed.js"
import { streamEndpoint } from "../src/internal/streamSupervisor.js"
import { FakeBinance } from "../src/testing/index.js"
import { captureLogs, eventually, waitFor } from "./support/conditions.js"

const withFeed = <A, E>(
  fake: FakeBinance.FakeBinance,
  options: BinancePriceFeed.Options,
  body: (feed: PriceFeedService) => Effect.Effect<A, E>
) =>
  Effect.flatMap(PriceFeed, body).pipe(
    Effect.provide(
      BinancePriceFeed.layer({
        wsUrl: fake.wsUrl,
        restUrl: fake.restUrl,
        reconnectInitialDelay: "20 millis",
        reconnectMaxDelay: "200 millis",
        fallbackInterval: "50 millis",
        ackTimeout: "500 millis",
        ...options
      })
    )
  )

const streamsOf = (symbols: ReadonlyArray<string>) => symbols.map((s) => `${s.toLowerCase()}@markPrice@1s`).sort()

/** Waits for exactly one open connection carrying exactly these symbols' streams. */
const connectedWith = (fake: FakeBinance.FakeBinance, symbols: ReadonlyArray<string>) =>
  waitFor(
    () => fake.openConnections(),
    (open) => open.length === 1 && JSON.stringify([...open[0]!.streams].sort()) === JSON.stringify(streamsOf(symbols)),
    { what: `one connection streaming ${symbols.join(", ")}` }
  ).pipe(Effect.map((open) => open[0]!))

/** Pushes a fresh price until `latest` shows it. */
const priceArrives = (fake: FakeBinance.FakeBinance, feed: PriceFeedService, symbol: string, price: number) =>
  eventually(
    Effect.zipRight(Effect.sync(() => fake.pushMarkPrice(symbol, price)), feed.latest(symbol)),
    (latest) => Option.isSome(latest) && latest.value.price === price,
    { what: `${symbol} at ${price}` }
  )

describe("BinancePriceFeed", () => {
  it.scopedLive("subscribes at run time with SUBSCRIBE, delivers ticks and latest, unsubscribes with UNSUBSCRIBE", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      yield* withFeed(fake, {}, (feed) =>
        Effect.gen(function*() {
          yield* connectedWith(fake, [])
          yield* feed.subscribe(["btcusdt", "ETHUSDT"])
          const connection = yield* connectedWith(fake, ["BTCUSDT", "ETHUSDT"])
          expect(connection.urlStreams).toEqual([])
          expect(connection.path).toBe("/market/stream")
          expect(connection.controlMessages).toEqual([{ method: "SUBSCRIBE", params: streamsOf(["BTCUSDT", "ETHUSDT"]), id: 1 }])

          const reader = yield* Effect.fork(Stream.runCollect(Stream.take(feed.ticks, 3)))
          for (let round = 1; round <= 200 && Option.isNone(yield* Fiber.poll(reader)); round++) {
            fake.pushMarkPrice("BTCUSDT", 60_000 + round, 1_000 + round)
            yield* Effect.sleep("10 millis")
          }
          const ticks = Chunk.toReadonlyArray(yield* Fiber.join(reader))
          expect(ticks.map((t) => t.symbol)).toEqual(["BTCUSDT", "BTCUSDT", "BTCUSDT"])
          expect(ticks.every((t) => t.price === 60_000 + t.at - 1_000)).toBe(true)
          expect(ticks[1]!.at).toBeGreaterThan(ticks[0]!.at)

          yield* priceArrives(fake, feed, "ETHUSDT", 3_001.25)
          expect((yield* feed.health).status).toBe("ok")

          yield* feed.unsubscribe(["ethusdt"])
          const after = yield* connectedWith(fake, ["BTCUSDT"])
          expect(after.controlMessages.at(-1)).toEqual({ method: "UNSUBSCRIBE", params: ["ethusdt@markPrice@1s"], id: 2 })
        }))
    }))

  it.scopedLive("reconnects after a dropped socket, with every subscription in the new URL", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      const symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
      yield* withFeed(fake, {}, (feed) =>
        Effect.gen(function*() {
          yield* feed.subscribe(symbols)
          yield* connectedWith(fake, symbols)
          for (const symbol of symbols) yield* priceArrives(fake, feed, symbol, 100)
          fake.dropConnections()
          const next = yield* eventually(
            Effect.sync(() => fake.openConnections()),
            (open) => open.length === 1 && open[0]!.id > 1,
            { what: "a new connection" }
          ).pipe(Effect.map((open) => open[0]!))
          expect([...next.urlStreams].sort()).toEqual(streamsOf(symbols))
          for (const symbol of symbols) yield* priceArrives(fake, feed, symbol, 200)
          const health = yield* eventually(feed.health, (h) => h.status === "ok")
          expect(health.details).toMatchObject({ connected: true, reconnects: 1, subscribed: 3 })
        }))
    }))

  it.scopedLive("detects a silent socket and replaces it", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      yield* withFeed(fake, { silentAfter: "300 millis" }, (feed) =>
        Effect.gen(function*() {
          yield* feed.subscribe(["BTCUSDT"])
          yield* connectedWith(fake, ["BTCUSDT"])
          yield* priceArrives(fake, feed, "BTCUSDT", 1)
          fake.setSilent(true)
          yield* waitFor(() => fake.connections(), (all) => all[0]!.closedAt !== undefined && all.length >= 2, {
            what: "the silent connection closed and another opened"
          })
          fake.setSilent(false)
          yield* priceArrives(fake, feed, "BTCUSDT", 2)
          const health = yield* feed.health
          expect(health.details?.["reconnects"]).toBeGreaterThanOrEqual(1)
          expect(String(health.details?.["last_error"])).toContain("silent")
        }))
    }))

  it.scopedLive("serves mark prices from the REST premium index while the socket is down", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      yield* withFeed(fake, {}, (feed) =>
        Effect.gen(function*() {
          yield* feed.subscribe(["BTCUSDT"])
          yield* connectedWith(fake, ["BTCUSDT"])
          fake.refuseConnections(true)
          fake.dropConnections()
          fake.setMarkPrice("BTCUSDT", 777.5)
          yield* eventually(feed.latest("BTCUSDT"), (t) => Option.isSome(t) && t.value.price === 777.5, { what: "a price from the fallback" })
          expect(fake.openConnections()).toHaveLength(0)
          expect(fake.requests().some((r) => r.path === "/fapi/v1/premiumIndex" && r.params["symbol"] === "BTCUSDT")).toBe(true)
          const health = yield* feed.health
          expect(health.status).toBe("degraded")
          expect(health.details).toMatchObject({ connected: false, fallback_active: true })
          fake.refuseConnections(false)
          const back = yield* eventually(feed.health, (h) => h.status === "ok" && h.details?.["fallback_active"] === false, { what: "the stream back" })
          expect(back.details?.["connected"]).toBe(true)
        }))
    }))

  it.scopedLive("is down when the stream is down and no price is fresh", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.refuseConnections(true)
      yield* withFeed(fake, { staleAfter: "200 millis", awaitConnection: "0 millis" }, (feed) =>
        Effect.gen(function*() {
          yield* feed.subscribe(["NOPEUSDT"])
          const health = yield* eventually(feed.health, (h) => h.status === "down", { what: "down health" })
          expect(health.details).toMatchObject({ connected: false, stale_symbols: ["NOPEUSDT"] })
          expect(String(health.details?.["fallback_error"])).toContain("-1121")
        }))
    }))

  it.scopedLive("replaces the connection before the 24-hour cut, opening the new one before closing the old", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      yield* withFeed(fake, { maxConnectionAge: "400 millis" }, (feed) =>
        Effect.gen(function*() {
          yield* feed.subscribe(["BTCUSDT"])
          const all = yield* waitFor(() => fake.connections(), (cs) => cs.length >= 2 && cs[0]!.closedAt !== undefined, {
            what: "a planned replacement"
          })
          expect(all[1]!.openedAt).toBeLessThanOrEqual(all[0]!.closedAt!)
          expect(all[1]!.urlStreams).toEqual(["btcusdt@markPrice@1s"])
          yield* priceArrives(fake, feed, "BTCUSDT", 5)
          expect((yield* feed.health).details?.["replacements"]).toBeGreaterThanOrEqual(1)
        }))
    }))

  it.scopedLive("reports stale prices: degraded while a subscribed symbol gets none", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      yield* withFeed(fake, { staleAfter: "300 millis" }, (feed) =>
        Effect.gen(function*() {
          yield* feed.subscribe(["BTCUSDT", "ETHUSDT"])
          yield* connectedWith(fake, ["BTCUSDT", "ETHUSDT"])
          yield* priceArrives(fake, feed, "ETHUSDT", 10)
          let price = 1
          const health = yield* eventually(
            Effect.zipRight(Effect.sync(() => fake.pushMarkPrice("BTCUSDT", price++)), feed.health),
            (h) => h.status === "degraded",
            { what: "degraded health" }
          )
          expect(health.details).toMatchObject({ stale_symbols: ["ETHUSDT"], stale_count: 1, connected: true })
          yield* priceArrives(fake, feed, "ETHUSDT", 11)
          expect((yield* feed.health).status).toBe("ok")
        }))
    }))

  it.scopedLive("rejects symbols that are not Binance symbols, and more streams than a connection takes", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      yield* withFeed(fake, { maxStreams: 2 }, (feed) =>
        Effect.gen(function*() {
          expect((yield* Effect.flip(feed.subscribe(["BTC/USDT"]))).reason).toContain("not a Binance symbol")
          yield* feed.subscribe(["BTCUSDT", "ETHUSDT"])
          const error = yield* Effect.flip(feed.subscribe(["SOLUSDT"]))
          expect(error.reason).toContain("at most 2 streams")
          yield* feed.subscribe(["btcusdt"])
        }))
    }))

  it("routes a base URL to the combined stream: a bare host or /market → /market/stream, /public → /public/stream, …/ws → …/stream", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["wss://fstream.binance.com", "wss://fstream.binance.com/market/stream"],
      ["wss://fstream.binance.com/", "wss://fstream.binance.com/market/stream"],
      ["wss://fstream.binance.com/market", "wss://fstream.binance.com/market/stream"],
      ["wss://fstream.binance.com/market/", "wss://fstream.binance.com/market/stream"],
      ["wss://fstream.binance.com/public", "wss://fstream.binance.com/public/stream"],
      ["wss://fstream.binance.com/market/ws", "wss://fstream.binance.com/market/stream"],
      ["wss://fstream.binance.com/market/stream", "wss://fstream.binance.com/market/stream"],
      ["wss://fstream.binance.com/market/stream?streams=btcusdt@markPrice", "wss://fstream.binance.com/market/stream"],
      ["wss://demo-fstream.binance.com", "wss://demo-fstream.binance.com/market/stream"], // the testnet is routed like production
      ["wss://fstream.binance.com/stream", "wss://fstream.binance.com/stream"] // another path: as it is
    ]
    for (const [base, endpoint] of cases) expect(streamEndpoint(base)).toBe(endpoint)
  })

  for (const routed of ["/market", "/market/"]) {
    it.scopedLive(`a configured base of ${routed} (Binance's "Market base URL") streams mark prices over the socket, not the REST fallback`, () =>
      Effect.gen(function*() {
        const fake = yield* FakeBinance.scoped()
        fake.setMarkPrice("BTCUSDT", 60_000)
        const logs = captureLogs()
        yield* withFeed(fake, { wsUrl: `${fake.wsUrl}${routed}`, fallbackInterval: "20 millis" }, (feed) =>
          Effect.gen(function*() {
            yield* feed.subscribe(["BTCUSDT"])
            const connection = yield* connectedWith(fake, ["BTCUSDT"])
            expect(connection.path).toBe("/market/stream")
            yield* priceArrives(fake, feed, "BTCUSDT", 60_123.5)
            const health = yield* feed.health
            expect(health).toMatchObject({ status: "ok", details: { connected: true, fallback_active: false, fallback_polls: 0 } })
            expect(String(health.details?.["endpoint"])).toMatch(/\/market\/stream$/)
          })).pipe(Effect.provide(logs.layer))
        expect(fake.requests().filter((r) => r.path === "/fapi/v1/premiumIndex")).toEqual([])
        expect(logs.lines.some((l) => l.includes("is not /market/stream"))).toBe(false)
      }))
  }

  it.scopedLive("warns once at start when the stream endpoint is not /market/stream (no @markPrice there)", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      const logs = captureLogs()
      yield* withFeed(fake, { wsUrl: `${fake.wsUrl}/public` }, () => Effect.void).pipe(Effect.provide(logs.layer))
      expect(logs.lines.filter((l) => l.startsWith("WARN") && l.includes("/public/stream is not /market/stream"))).toHaveLength(1)
    }))
})
