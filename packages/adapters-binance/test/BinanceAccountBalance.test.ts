import { describe, expect, it } from "@effect/vitest"
import { AccountBalance, type AccountBalanceService } from "@portfolio/core"
import { Effect, Redacted } from "effect"
import * as BinanceAccountBalance from "../src/BinanceAccountBalance.js"
import { FakeBinance } from "../src/testing/index.js"
import { eventually, waitFor } from "./support/conditions.js"

const withBalance = <A, E>(
  fake: FakeBinance.FakeBinance,
  options: Partial<BinanceAccountBalance.Options>,
  body: (balance: AccountBalanceService) => Effect.Effect<A, E>
) =>
  Effect.flatMap(AccountBalance, body).pipe(
    Effect.provide(
      BinanceAccountBalance.layer({
        apiKey: Redacted.make(fake.apiKey),
        apiSecret: Redacted.make(fake.apiSecret),
        restUrl: fake.restUrl,
        ...options
      })
    )
  )

const signedRequests = (fake: FakeBinance.FakeBinance) => fake.requests().filter((r) => r.params["signature"] !== undefined)

describe("BinanceAccountBalance", () => {
  it.scopedLive("reads the wallet balance of the asset and the open positions, sides from positionSide or the sign", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "BNB", balance: 1 }, { asset: "USDT", balance: 10_250.75 }])
      fake.setLeverage("BTCUSDT", 10)
      fake.setLeverage("ETHUSDT", 5)
      fake.setPositions([
        { symbol: "BTCUSDT", positionAmt: 0.5, entryPrice: 60_000, markPrice: 61_000 },
        { symbol: "ETHUSDT", positionAmt: -2, entryPrice: 3_000, markPrice: 2_900 },
        { symbol: "SOLUSDT", positionSide: "LONG", positionAmt: 10, entryPrice: 150, markPrice: 160 },
        { symbol: "SOLUSDT", positionSide: "SHORT", positionAmt: -4, entryPrice: 155, markPrice: 160 },
        { symbol: "XRPUSDT", positionAmt: 0, entryPrice: 0.5 }
      ])
      yield* withBalance(fake, {}, (balance) =>
        Effect.gen(function*() {
          const cash = yield* balance.balance
          expect(cash).toMatchObject({ source: "exchange", walletBalance: 10_250.75, asset: "USDT" })
          expect(yield* balance.positions).toEqual([
            { symbol: "BTCUSDT", side: "LONG", size: 0.5, entryPrice: 60_000, markPrice: 61_000, leverage: 10, unrealizedPnl: 500 },
            { symbol: "ETHUSDT", side: "SHORT", size: 2, entryPrice: 3_000, markPrice: 2_900, leverage: 5, unrealizedPnl: 200 },
            { symbol: "SOLUSDT", side: "LONG", size: 10, entryPrice: 150, markPrice: 160, leverage: 20, unrealizedPnl: 100 },
            { symbol: "SOLUSDT", side: "SHORT", size: 4, entryPrice: 155, markPrice: 160, leverage: 20, unrealizedPnl: -20 }
          ])
          const health = yield* balance.health
          expect(health.status).toBe("ok")
          expect(health.required).toBe(true)
          expect(health.details).toMatchObject({ asset: "USDT", wallet_balance: 10_250.75, positions: 4 })
          expect(health.details?.["used_weight_1m"]).toBe(16) // time 1 + balance 5 + positionRisk 5 + symbolConfig 5
        }))
      expect(fake.requests().map((r) => `${r.path} ${r.status}`)).toEqual([
        "/fapi/v1/time 200",
        "/fapi/v3/balance 200",
        "/fapi/v3/positionRisk 200",
        "/fapi/v1/symbolConfig 200"
      ])
      expect(signedRequests(fake).every((r) => r.apiKeyPresent && r.params["recvWindow"] === "5000")).toBe(true)
    }))

  it.scopedLive("derives leverage from notional and initial margin when the symbol configuration is unavailable", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 1 }])
      fake.setLeverage("BTCUSDT", 25)
      fake.setPositions([{ symbol: "BTCUSDT", positionAmt: 0.2, entryPrice: 50_000, markPrice: 50_000 }])
      fake.failNext({ status: 400, code: -1000, msg: "An unknown error occured while processing the request." }, { path: "/fapi/v1/symbolConfig" })
      const positions = yield* withBalance(fake, {}, (balance) => balance.positions)
      expect(positions.map((p) => p.leverage)).toEqual([25])
      expect(fake.requests().some((r) => r.path === "/fapi/v1/symbolConfig" && r.status === 400)).toBe(true)
    }))

  it.scopedLive("applies the server-time offset to every timestamp", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped({ serverTimeOffsetMs: -7_200_000 })
      fake.setBalances([{ asset: "USDT", balance: 100 }])
      yield* withBalance(fake, {}, (balance) => balance.balance)
      const signed = signedRequests(fake)
      expect(signed.length).toBeGreaterThan(0)
      for (const request of signed) {
        expect(request.status).toBe(200)
        expect(Math.abs(Number(request.params["timestamp"]) - request.serverTime)).toBeLessThan(1_000)
      }
      const health = yield* withBalance(fake, {}, (balance) => balance.health)
      expect(Math.abs(Number(health.details?.["time_offset_ms"]) + 7_200_000)).toBeLessThan(1_000)
    }))

  it.scopedLive("answers -1021 by re-syncing the server time and retrying once", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 100 }])
      yield* withBalance(fake, { refreshInterval: "100 millis" }, (balance) =>
        Effect.gen(function*() {
          yield* balance.balance
          fake.clearRequests()
          fake.setServerTimeOffset(120_000)
          const seen = yield* waitFor(() => fake.requests().map((r) => `${r.path} ${r.status}`), (log) => log.length >= 4, {
            what: "a rejected, re-synced and retried balance read"
          })
          expect(seen.slice(0, 4)).toEqual(["/fapi/v3/balance 400", "/fapi/v1/time 200", "/fapi/v3/balance 200", "/fapi/v3/positionRisk 200"])
          expect(fake.requests()[0]?.code).toBe(-1021)
          const health = yield* eventually(balance.health, (h) => h.status === "ok" && Number(h.details?.["time_offset_ms"]) > 110_000)
          expect(health.details?.["last_error"]).toBeUndefined()
        }))
    }))

  it.scopedLive("maps a rejected API key and a bad signature to typed errors; health is down without a good read", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 100 }])
      const cases = [
        { apiKey: Redacted.make("not-the-key"), tag: "BinanceInvalidApiKey", code: -2015 },
        { apiSecret: Redacted.make("not-the-secret"), tag: "BinanceInvalidSignature", code: -1022 }
      ] as const
      for (const { tag, code, ...keys } of cases) {
        yield* withBalance(fake, keys, (balance) =>
          Effect.gen(function*() {
            const error = yield* Effect.flip(balance.balance)
            expect(error._tag).toBe("BalanceError")
            expect(error.code).toBe(code)
            expect(error.retryable).toBe(false)
            expect((error.cause as { _tag: string })._tag).toBe(tag)
            expect((yield* Effect.flip(balance.positions)).code).toBe(code)
            const health = yield* balance.health
            expect(health.status).toBe("down")
            expect(health.details?.["last_error"]).toMatchObject({ tag, code })
          }))
      }
    }))

  it.scopedLive("fails with a clear reason when the asset is missing from the balance", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "BNB", balance: 1 }])
      const error = yield* withBalance(fake, { asset: "usdc" }, (balance) => Effect.flip(balance.balance))
      expect(error.message).toContain("no USDC in the balance")
      expect(error.retryable).toBe(true)
    }))

  for (const status of [429, 418] as const) {
    it.scopedLive(`honours ${status} Retry-After: no request reaches the exchange before it has passed`, () =>
      Effect.gen(function*() {
        const fake = yield* FakeBinance.scoped()
        fake.setBalances([{ asset: "USDT", balance: 42 }])
        fake.rateLimit({ status, retryAfterSeconds: 1 })
        yield* withBalance(fake, { refreshInterval: "5 seconds", retryInterval: "20 millis" }, (balance) =>
          Effect.gen(function*() {
            const during = yield* balance.health
            expect(during.status).toBe("down")
            expect(during.details).toMatchObject({ backoff_status: status, last_error: { tag: status === 429 ? "BinanceRateLimited" : "BinanceIpBanned" } })
            expect((yield* Effect.flip(balance.balance)).retryable).toBe(true)
            yield* eventually(Effect.either(balance.balance), (r) => r._tag === "Right", { what: "a balance after the backoff" })
          }))
        const requests = fake.requests()
        const limited = requests.filter((r) => r.status === status)
        expect(limited).toHaveLength(1)
        const after = requests.slice(requests.indexOf(limited[0]!) + 1)
        expect(after.length).toBeGreaterThan(0)
        for (const request of after) expect(request.at - limited[0]!.at).toBeGreaterThanOrEqual(1_000)
      }))
  }

  it.scopedLive("keeps answering the last good value while reads fail: degraded when stale, ok again when fresh", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 500 }])
      yield* withBalance(fake, { refreshInterval: "50 millis", retryInterval: "50 millis", staleAfter: "300 millis" }, (balance) =>
        Effect.gen(function*() {
          expect((yield* balance.health).status).toBe("ok")
          fake.failNext({ status: 500, code: -1000, msg: "An unknown error occured while processing the request." }, { times: 1_000_000 })
          const degraded = yield* eventually(balance.health, (h) => h.status === "degraded", { what: "degraded health" })
          expect(degraded.details?.["last_error"]).toMatchObject({ tag: "BinanceUnavailable", code: -1000 })
          expect(yield* balance.balance).toMatchObject({ walletBalance: 500 })
          fake.clearFailures()
          fake.setBalances([{ asset: "USDT", balance: 600 }])
          yield* eventually(balance.health, (h) => h.status === "ok", { what: "ok health again" })
          expect(yield* balance.balance).toMatchObject({ walletBalance: 600 })
        }))
    }))
})
