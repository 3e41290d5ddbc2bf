import { describe, expect, it } from "@effect/vitest"
import { AccountBalance, type AccountBalanceService } from "@portfolio/core"
import { Effect, Redacted } from "effect"
import * as BinanceAccountBalance from "../src/BinanceAccountBalance.js"
import { FakeBinance } from "../src/testing/index.js"
import { captureLogs, eventually, waitFor } from "./support/conditions.js"

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
      expect(error.message).toContain("none of USDC in the balance")
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

  it.scopedLive("sums the margin assets at their USDT marks: no USDT entry needed, each asset in health, unlisted ones ignored", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([
        { asset: "USDC", balance: 500 },
        { asset: "BNFCR", balance: 300 },
        { asset: "BTC", balance: 0.1 },
        { asset: "BNB", balance: 2 }
      ])
      fake.setMarkPrice("USDCUSDT", 0.9998)
      fake.setMarkPrice("BTCUSDT", 60_000)
      yield* withBalance(fake, { marginAssets: ["usdt", "USDC", "BNFCR", "BTC"], refreshInterval: "100 millis" }, (balance) =>
        Effect.gen(function*() {
          const cash = yield* balance.balance
          expect(cash).toMatchObject({ source: "exchange", asset: "USDT" })
          if (cash.source !== "exchange") return
          expect(cash.walletBalance).toBeCloseTo(500 * 0.9998 + 300 + 0.1 * 60_000, 9)
          expect(cash.staleSince).toBeUndefined()
          expect(cash.assets).toEqual([
            { asset: "USDC", balance: 500, mark: 0.9998, value: 500 * 0.9998 },
            { asset: "BNFCR", balance: 300, mark: 1, value: 300 },
            { asset: "BTC", balance: 0.1, mark: 60_000, value: 6_000 }
          ])
          const health = yield* balance.health
          expect(health.status).toBe("ok")
          expect(health.details).toMatchObject({
            asset: "USDT",
            margin_assets: ["USDT", "USDC", "BNFCR", "BTC"],
            assets: [
              { asset: "USDC", balance: 500, mark: 0.9998 },
              { asset: "BNFCR", balance: 300, mark: 1 },
              { asset: "BTC", balance: 0.1, mark: 60_000 }
            ],
            ignored_assets: ["BNB"],
            cash_stale_since: null
          })
          // The marks follow the exchange; BNFCR has no USDT market: asked once, then valued at 1.
          fake.setMarkPrice("BTCUSDT", 50_000)
          const later = yield* eventually(balance.balance, (c) => c.source === "exchange" && c.walletBalance < 6_000)
          expect(later.source === "exchange" && later.walletBalance).toBeCloseTo(499.9 + 300 + 5_000, 9)
        }))
      const marks = fake.requests().filter((r) => r.path === "/fapi/v1/premiumIndex")
      expect(marks.filter((r) => r.params["symbol"] === "BNFCRUSDT").map((r) => r.code)).toEqual([-1121])
      expect(marks.some((r) => r.params["symbol"] === "USDTUSDT" || r.params["symbol"] === "BNBUSDT")).toBe(false)
      expect(marks.every((r) => r.params["signature"] === undefined)).toBe(true)
    }))

  it.scopedLive("defaults to USDT, USDC and BNFCR: a USDC-only account is fine; a listed asset without a USDT market is left out and reported", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDC", balance: 1_000 }, { asset: "XYZ", balance: 5 }])
      const usdcOnly = yield* withBalance(fake, {}, (balance) => Effect.zip(balance.balance, balance.health))
      expect(usdcOnly[0]).toMatchObject({ walletBalance: 1_000, asset: "USDT" }) // no USDCUSDT mark known: 1
      expect(usdcOnly[1]).toMatchObject({ status: "ok", details: { margin_assets: ["USDT", "USDC", "BNFCR"], ignored_assets: ["XYZ"] } })
      const [cash, health] = yield* withBalance(fake, { marginAssets: ["USDC", "XYZ"] }, (balance) => Effect.zip(balance.balance, balance.health))
      expect(cash).toMatchObject({ walletBalance: 1_000 })
      expect(health.status).toBe("degraded")
      expect(health.message).toContain("XYZ")
      expect(health.details).toMatchObject({ unpriced_assets: ["XYZ"] })
    }))

  it.scopedLive("Binance unreachable: the last good balance marked stale since the first failed read, health degraded, the outage logged once and its end once", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 700 }])
      const logs = captureLogs()
      yield* withBalance(fake, { refreshInterval: "50 millis", retryInterval: "20 millis", requestTimeout: "1 second" }, (balance) =>
        Effect.gen(function*() {
          expect(yield* balance.balance).toMatchObject({ walletBalance: 700 })
          expect(yield* balance.balance).not.toHaveProperty("staleSince")
          const cut = Date.now()
          fake.setOutage(true)
          const stale = yield* eventually(balance.balance, (c) => c.source === "exchange" && c.staleSince !== undefined, { what: "stale cash" })
          const since = stale.source === "exchange" ? stale.staleSince! : 0
          expect(stale).toMatchObject({ walletBalance: 700 })
          expect(since).toBeGreaterThanOrEqual(cut)
          const health = yield* balance.health
          expect(health.status).toBe("degraded")
          expect(health.details).toMatchObject({ cash_stale_since: new Date(since).toISOString(), last_error: { tag: "BinanceUnavailable" } })
          // Many failed reads later: still the same outage.
          yield* waitFor(() => fake.requests().filter((r) => r.status === 0).length, (n) => n >= 5, { what: "five failed reads" })
          expect(yield* balance.balance).toMatchObject({ walletBalance: 700, staleSince: since })
          fake.setOutage(false)
          fake.setBalances([{ asset: "USDT", balance: 710 }])
          const fresh = yield* eventually(balance.balance, (c) => c.source === "exchange" && c.walletBalance === 710, { what: "fresh cash" })
          expect(fresh).not.toHaveProperty("staleSince")
          expect((yield* eventually(balance.health, (h) => h.status === "ok")).details).toMatchObject({ cash_stale_since: null })
        })).pipe(Effect.provide(logs.layer))
      const warned = logs.lines.filter((l) => l.startsWith("WARN") && l.includes("Binance balance refresh failed"))
      expect(warned).toHaveLength(1)
      expect(warned[0]).toContain("serving the last good balance, marked stale")
      expect(logs.lines.filter((l) => l.startsWith("INFO") && l.includes("recovered"))).toHaveLength(1)
      expect(logs.lines.join("\n")).not.toContain(fake.apiSecret)
    }))

  it.scopedLive("Binance unreachable from the start: the balance fails (never read), health down", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 1 }])
      fake.setOutage(true)
      yield* withBalance(fake, { refreshInterval: "50 millis", retryInterval: "20 millis", awaitFirstRead: "2 seconds" }, (balance) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(balance.balance)
          expect(error).toMatchObject({ _tag: "BalanceError", retryable: true })
          expect(error.reason).toContain("Binance unavailable")
          expect(error.reason).not.toMatch(/https?:\/\//)
          expect(yield* balance.health).toMatchObject({ status: "down", required: true })
          fake.setOutage(false)
          yield* eventually(Effect.either(balance.balance), (r) => r._tag === "Right", { what: "a first balance" })
        }))
    }))
})
