import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Redacted } from "effect"
import * as BinanceError from "../src/BinanceError.js"
import * as RestClient from "../src/internal/restClient.js"
import { Balances, ServerTime } from "../src/internal/wire.js"
import { FakeBinance } from "../src/testing/index.js"

const client = (fake: FakeBinance.FakeBinance, baseUrl = fake.restUrl) =>
  RestClient.make({
    baseUrl,
    credentials: { apiKey: Redacted.make(fake.apiKey), apiSecret: Redacted.make(fake.apiSecret) },
    recvWindow: 5_000,
    requestTimeout: Duration.seconds(2),
    timeSyncInterval: Duration.hours(1),
    defaultRetryAfter: Duration.seconds(60)
  })

describe("RestClient error mapping", () => {
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
        const failure = yield* Effect.flip(client(fake).signedGet("/fapi/v3/balance", [], Balances))
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
      const failure = yield* Effect.flip(client(fake).signedGet("/fapi/v3/balance", [], Balances))
      expect(failure).toBeInstanceOf(BinanceError.TimestampOutsideRecvWindow)
      expect(fake.requests().map((r) => r.path)).toEqual(["/fapi/v1/time", "/fapi/v3/balance", "/fapi/v1/time", "/fapi/v3/balance"])
    }))

  it.scopedLive("a body without the documented shape is an UnexpectedResponse", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      const failure = yield* Effect.flip(client(fake).publicGet("/fapi/v1/ping", [], ServerTime))
      expect(failure._tag).toBe("BinanceUnexpectedResponse")
      expect(failure.message).toContain("serverTime")
    }))

  it.scopedLive("no answer (connection refused) is Unavailable", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      const closed = yield* Effect.promise(() => FakeBinance.start())
      yield* Effect.promise(() => closed.close())
      const failure = yield* Effect.flip(client(fake, closed.restUrl).publicGet("/fapi/v1/time", [], ServerTime))
      expect(failure._tag).toBe("BinanceUnavailable")
      expect(failure.status).toBe(0)
      expect(failure.retryable).toBe(true)
    }))

  it.scopedLive("holds requests back locally until Retry-After has passed", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.rateLimit({ status: 429, retryAfterSeconds: 2 })
      const rest = client(fake)
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

  it.scopedLive("reads the used weight from X-MBX-USED-WEIGHT-1M", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setMarkPrice("BTCUSDT", 1)
      const rest = client(fake)
      yield* rest.syncTime
      expect(rest.state.usedWeight1m).toBe(1)
      yield* rest.publicGet("/fapi/v1/premiumIndex", [], Balances).pipe(Effect.ignore)
      expect(rest.state.usedWeight1m).toBe(11)
    }))
})
