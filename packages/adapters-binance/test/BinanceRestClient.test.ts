import { describe, expect, it } from "@effect/vitest"
import { AccountBalance, PriceFeed } from "@portfolio/core"
import { Context, Effect, Fiber, Layer, Option, Redacted, TestClock } from "effect"
import * as BinanceAccountBalance from "../src/BinanceAccountBalance.js"
import * as BinanceError from "../src/BinanceError.js"
import * as BinancePriceFeed from "../src/BinancePriceFeed.js"
import * as BinanceRestClient from "../src/BinanceRestClient.js"
import { Balances, ServerTime } from "../src/internal/wire.js"
import { FakeBinance } from "../src/testing/index.js"
import { eventually, waitFor } from "./support/conditions.js"

const client = (fake: FakeBinance.FakeBinance, restUrl = fake.restUrl) => BinanceRestClient.make({ restUrl, requestTimeout: "2 seconds" })

const signer = (fake: FakeBinance.FakeBinance): BinanceRestClient.Signer => ({
  apiKey: Redacted.make(fake.apiKey),
  apiSecret: Redacted.make(fake.apiSecret),
  recvWindow: 5_000,
  timeSyncInterval: "1 hour"
})

describe("BinanceRestClient error mapping", () => {
  const cases = [
    { error: { status: 401, code: -2014, msg: "API-key format invalid." }, tag: "BinanceInvalidApiKey", retryable: false },
    { error: { status: 401, code: -2015, msg: "Invalid API-key, IP, or permissions for action." }, tag: "BinanceInvalidApiKey", retryable: false },
    { error: { status: 400, code: -1022, msg: "Signature for this request is not valid." }, tag: "BinanceInvalidSignature", retryable: false },
    { error: { status: 400, code: -1121, msg: "Invalid symbol." }, tag: "BinanceRejected", retryable: false },
    { error: { status: 400, code: -1102, msg: "Mandatory parameter 'x' was not sent, was empty/null, or malformed." }, tag: "BinanceRejected", retryable: false },
    { error: { status: 400, code: -1001, msg: "Internal error; unable to process your request. Please try again." }, tag: "BinanceRejected", retryable: true },
    { error: { status: 503, code: -1000, msg: "An unknown error occured while processing the request." }, tag: "BinanceUnavailable", retryable: true }
  ] as const

  for (const { error, retryable, tag } of cases) {
    it.scopedLive(`maps ${error.status} ${error.code} to ${tag}`, () =>
      Effect.gen(function*() {
        const fake = yield* FakeBinance.scoped()
        fake.failNext(error, { path: "/fapi/v3/balance" })
        const failure = yield* Effect.flip((yield* client(fake)).signedGet(signer(fake), "/fapi/v3/balance", [], Balances))
        expect(failure._tag).toBe(tag)
        expect(failure.retryable).toBe(retryable)
        expect(failure.code).toBe(error.code)
        expect(failure.msg).toBe(error.msg)
        expect(failure.path).toBe("/fapi/v3/balance")
        expect(failure.message).not.toContain("signature=")
      }))
  }

  it.scopedLive("-1021 twice in a row: one re-sync, one retry, then the typed error", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.failNext({ status: 400, code: -1021, msg: "Timestamp for this request is outside of the recvWindow." }, { path: "/fapi/v3/balance", times: 2 })
      const failure = yield* Effect.flip((yield* client(fake)).signedGet(signer(fake), "/fapi/v3/balance", [], Balances))
      expect(failure).toBeInstanceOf(BinanceError.TimestampOutsideRecvWindow)
      expect(fake.requests().map((r) => r.path)).toEqual(["/fapi/v1/time", "/fapi/v3/balance", "/fapi/v1/time", "/fapi/v3/balance"])
    }))

  it.scopedLive("a body without the documented shape is an UnexpectedResponse", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      const failure = yield* Effect.flip((yield* client(fake)).publicGet("/fapi/v1/ping", [], ServerTime))
      expect(failure._tag).toBe("BinanceUnexpectedResponse")
      expect(failure.message).toContain("serverTime")
    }))

  it.scopedLive("no answer (connection refused) is Unavailable", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      const closed = yield* Effect.promise(() => FakeBinance.start())
      yield* Effect.promise(() => closed.close())
      const failure = yield* Effect.flip((yield* client(fake, closed.restUrl)).publicGet("/fapi/v1/time", [], ServerTime))
      expect(failure._tag).toBe("BinanceUnavailable")
      expect(failure.status).toBe(0)
      expect(failure.retryable).toBe(true)
    }))

  it.scopedLive("holds requests back locally until Retry-After has passed", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.rateLimit({ status: 429, retryAfterSeconds: 2 })
      const rest = yield* client(fake)
      const first = yield* Effect.flip(rest.publicGet("/fapi/v1/time", [], ServerTime))
      expect(first).toMatchObject({ _tag: "BinanceRateLimited", sent: true, code: -1003 })
      const second = yield* Effect.flip(rest.publicGet("/fapi/v1/time", [], ServerTime))
      expect(second).toMatchObject({ _tag: "BinanceRateLimited", sent: false })
      expect(second).toBeInstanceOf(BinanceError.RateLimited)
      expect(first).toBeInstanceOf(BinanceError.RateLimited)
      expect((second as BinanceError.RateLimited).until).toBe((first as BinanceError.RateLimited).until)
      expect(fake.requests()).toHaveLength(1)
      expect(rest.state.blockedBy).toBe(429)
    }))

  it("reads the ban time from Binance's 418 message", () => {
    expect(BinanceRestClient.bannedUntil("Way too much request weight used; IP banned until 1620286253180. Please use the websocket for live updates to avoid bans.")).toBe(1_620_286_253_180)
    expect(BinanceRestClient.bannedUntil("Way too many requests; IP(127.0.0.1) banned until 1750000000000. Please use the websocket")).toBe(1_750_000_000_000)
    expect(BinanceRestClient.bannedUntil("Too many requests; current limit of IP(127.0.0.1) is 2400 requests per minute.")).toBeUndefined()
    expect(BinanceRestClient.bannedUntil(undefined)).toBeUndefined()
  })

  for (const synced of [false, true]) {
    it.scopedLive(`a 418 without Retry-After waits for the ban time of its message, not 60 s (server clock 1 h ahead, offset ${synced ? "known" : "not read yet"})`, () =>
      Effect.gen(function*() {
        const fake = yield* FakeBinance.scoped({ serverTimeOffsetMs: 3_600_000 })
        const rest = yield* BinanceRestClient.make({ restUrl: fake.restUrl, requestTimeout: "2 seconds", defaultRetryAfter: "60 seconds" })
        if (synced) yield* rest.syncTime
        fake.clearRequests()
        fake.rateLimit({ status: 418, retryAfterSeconds: 1, retryAfterHeader: false })
        const banned = yield* Effect.flip(rest.publicGet("/fapi/v1/time", [], ServerTime))
        expect(banned).toMatchObject({ _tag: "BinanceIpBanned", sent: true, code: -1003 })
        const wait = (banned as BinanceError.IpBanned).retryAfterMs
        expect(wait).toBeGreaterThan(0)
        expect(wait).toBeLessThanOrEqual(2_100) // the ban's 1 s (+ the Date header's second when the offset is unknown)
        // Nothing is sent before the ban ends; the first request after it succeeds.
        const time = yield* eventually(Effect.either(rest.publicGet("/fapi/v1/time", [], ServerTime)), (r) => r._tag === "Right", {
          what: "an answer after the ban",
          timeoutMs: 10_000,
          intervalMs: 50
        })
        expect(time._tag).toBe("Right")
        const [first, ...after] = fake.requests()
        expect(first!.status).toBe(418)
        expect(after.length).toBeGreaterThan(0)
        for (const request of after) expect(request.at - first!.at).toBeGreaterThanOrEqual(1_000)
      }))
  }

  it.scopedLive("reads the used weight from X-MBX-USED-WEIGHT-1M", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setMarkPrice("BTCUSDT", 1)
      const rest = yield* client(fake)
      yield* rest.syncTime
      expect(rest.state.usedWeight1m).toBe(1)
      yield* rest.publicGet("/fapi/v1/premiumIndex", [], Balances).pipe(Effect.ignore)
      expect(rest.state.usedWeight1m).toBe(11)
    }))
})

describe("BinanceRestClient budget", () => {
  it.scoped("spends request weight from one budget: past it, a request waits until the bucket refills", () =>
    Effect.gen(function*() {
      // TestClock: the refill happens only when the test moves the clock.
      const fake = yield* FakeBinance.scoped()
      const rest = yield* BinanceRestClient.make({ restUrl: fake.restUrl, weightPerMinute: 10 })
      fake.setMarkPrice("BTCUSDT", 1)
      yield* rest.publicGet("/fapi/v1/premiumIndex", [], Balances).pipe(Effect.ignore) // weight 10: the whole budget
      const waiting = yield* Effect.fork(rest.syncTime)
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
      expect(fake.requests().map((r) => r.path)).toEqual(["/fapi/v1/premiumIndex"])
      expect(Option.isNone(yield* Fiber.poll(waiting))).toBe(true)
      yield* TestClock.adjust("6 seconds") // one minute / 10: one unit of weight back
      yield* Fiber.join(waiting)
      expect(fake.requests().map((r) => r.path)).toEqual(["/fapi/v1/premiumIndex", "/fapi/v1/time"])
    }))

  it("equal options give the same layer, so adapters built together share one client", () => {
    expect(BinanceRestClient.layer({ restUrl: "http://127.0.0.1:1/" })).toBe(BinanceRestClient.layer({ restUrl: "http://127.0.0.1:1" }))
    expect(BinanceRestClient.layer({ restUrl: "http://127.0.0.1:1" })).not.toBe(BinanceRestClient.layer({ restUrl: "http://127.0.0.1:2" }))
    expect(BinanceRestClient.layer({ restUrl: "http://127.0.0.1:1" })).not.toBe(
      BinanceRestClient.layer({ restUrl: "http://127.0.0.1:1", weightPerMinute: 10 })
    )
  })
})

describe("one client for the balance and the price feed", () => {
  const wirings = {
    "the public layers merged, as the http edge wires them": (balance: BinanceAccountBalance.Options, prices: BinancePriceFeed.Options) =>
      Layer.merge(BinanceAccountBalance.layer(balance), BinancePriceFeed.layer(prices)),
    "the adapters on one explicit client": (balance: BinanceAccountBalance.Options, prices: BinancePriceFeed.Options) =>
      Layer.merge(BinanceAccountBalance.layerOnClient(balance), BinancePriceFeed.layerOnClient(prices)).pipe(
        Layer.provide(BinanceRestClient.layer({ restUrl: prices.restUrl }))
      )
  }

  for (const [name, wire] of Object.entries(wirings)) {
    it.scopedLive(`a 418 seen by the balance holds the price feed's REST fallback back too (${name})`, () =>
      Effect.gen(function*() {
        const fake = yield* FakeBinance.scoped()
        fake.setBalances([{ asset: "USDT", balance: 100 }])
        fake.setMarkPrice("BTCUSDT", 777.5)
        const context = yield* Layer.build(
          wire(
            { apiKey: Redacted.make(fake.apiKey), apiSecret: Redacted.make(fake.apiSecret), restUrl: fake.restUrl, refreshInterval: "100 millis", retryInterval: "50 millis" },
            { wsUrl: fake.wsUrl, restUrl: fake.restUrl, fallbackInterval: "50 millis", reconnectInitialDelay: "20 millis", reconnectMaxDelay: "200 millis" }
          )
        )
        const balance = Context.get(context, AccountBalance)
        const feed = Context.get(context, PriceFeed)
        yield* feed.subscribe(["BTCUSDT"])
        yield* waitFor(() => fake.openConnections(), (open) => open.length === 1 && open[0]!.streams.length === 1, { what: "the stream" })

        // While the stream is up only the balance polls REST: the ban lands on one of its requests.
        fake.rateLimit({ status: 418, retryAfterSeconds: 3 })
        const banned = yield* waitFor(() => fake.requests().filter((r) => r.status === 418), (hits) => hits.length > 0, { what: "a 418" })
        expect(banned[0]!.path).not.toBe("/fapi/v1/premiumIndex")
        yield* eventually(balance.health, (h) => h.details?.["backoff_status"] === 418, { what: "the balance backing off" })

        // The stream goes down: the fallback polls, but sends nothing while the ban lasts.
        fake.refuseConnections(true)
        fake.dropConnections()
        const during = yield* eventually(feed.health, (h) => String(h.details?.["fallback_error"]).includes("held back"), {
          what: "the fallback held back"
        })
        expect(during.details).toMatchObject({ fallback_active: true, backoff_status: 418 })
        expect(String(during.details?.["fallback_error"])).toContain("IP banned")

        // After it, the fallback serves prices again; the exchange saw one request in the ban.
        yield* eventually(feed.latest("BTCUSDT"), (t) => Option.isSome(t) && t.value.price === 777.5, { what: "a price from the fallback" })
        const requests = fake.requests()
        expect(requests.filter((r) => r.status === 418)).toHaveLength(1)
        const polls = requests.filter((r) => r.path === "/fapi/v1/premiumIndex")
        expect(polls.length).toBeGreaterThan(0)
        for (const poll of polls) expect(poll.status).toBe(200)
      }))
  }
})
