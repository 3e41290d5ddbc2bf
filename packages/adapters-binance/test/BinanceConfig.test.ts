import { describe, expect, it } from "@effect/vitest"
import { AccountBalance } from "@portfolio/core"
import { ConfigProvider, Duration, Effect, Layer, Redacted } from "effect"
import * as BinanceAccountBalance from "../src/BinanceAccountBalance.js"
import * as BinanceConfig from "../src/BinanceConfig.js"
import * as BinancePriceFeed from "../src/BinancePriceFeed.js"
import { FakeBinance } from "../src/testing/index.js"

const env = (vars: Record<string, string>) => ConfigProvider.fromMap(new Map(Object.entries(vars)))
const read = <A, E>(config: Effect.Effect<A, E>, vars: Record<string, string>) => Effect.withConfigProvider(config, env(vars))

const SECRET = "s3cr3t-value-that-must-not-leak"

describe("BinanceConfig", () => {
  it.effect("isConfigured: neither key → false, both → true, one alone or an empty one → an error naming the variable", () =>
    Effect.gen(function*() {
      expect(yield* read(BinanceConfig.isConfigured, {})).toBe(false)
      expect(yield* read(BinanceConfig.isConfigured, { PORTFOLIO_BINANCE_API_KEY: "k", PORTFOLIO_BINANCE_API_SECRET: SECRET })).toBe(true)
      const alone = yield* Effect.flip(read(BinanceConfig.isConfigured, { PORTFOLIO_BINANCE_API_SECRET: SECRET }))
      expect(String(alone)).toContain("PORTFOLIO_BINANCE_API_KEY")
      expect(String(alone)).not.toContain(SECRET)
      const empty = yield* Effect.flip(read(BinanceConfig.isConfigured, { PORTFOLIO_BINANCE_API_KEY: "k", PORTFOLIO_BINANCE_API_SECRET: " " }))
      expect(String(empty)).toContain("PORTFOLIO_BINANCE_API_SECRET")
    }))

  it.effect("reads the balance options with their defaults, secrets redacted", () =>
    Effect.gen(function*() {
      const options = yield* read(BinanceAccountBalance.optionsConfig, { PORTFOLIO_BINANCE_API_KEY: "key", PORTFOLIO_BINANCE_API_SECRET: SECRET })
      expect(options).toMatchObject({ restUrl: "https://fapi.binance.com", marginAssets: ["USDT", "USDC", "BNFCR"], recvWindow: 5000 })
      expect(Duration.toMillis(Duration.decode(options.refreshInterval!))).toBe(30_000)
      expect(Redacted.value(options.apiSecret)).toBe(SECRET)
      expect(String(options.apiSecret)).not.toContain(SECRET)
      expect(JSON.stringify(options)).not.toContain(SECRET)
      const custom = yield* read(BinanceAccountBalance.optionsConfig, {
        PORTFOLIO_BINANCE_API_KEY: "key",
        PORTFOLIO_BINANCE_API_SECRET: SECRET,
        PORTFOLIO_BINANCE_REST_URL: "https://demo-fapi.binance.com/",
        PORTFOLIO_BINANCE_ASSET: "usdc",
        PORTFOLIO_BINANCE_RECV_WINDOW: "10000",
        PORTFOLIO_BINANCE_REFRESH_INTERVAL: "5 seconds"
      })
      expect(custom).toMatchObject({ restUrl: "https://demo-fapi.binance.com", marginAssets: ["USDC"], recvWindow: 10_000 })
    }))

  it.effect("PORTFOLIO_BINANCE_MARGIN_ASSETS: a comma-separated list, upper-cased, without repeats; empty is unset; it wins over PORTFOLIO_BINANCE_ASSET", () =>
    Effect.gen(function*() {
      expect(yield* read(BinanceConfig.marginAssets, {})).toEqual(["USDT", "USDC", "BNFCR"])
      expect(yield* read(BinanceConfig.marginAssets, { PORTFOLIO_BINANCE_MARGIN_ASSETS: " usdt, BNFCR ,btc,usdt," })).toEqual(["USDT", "BNFCR", "BTC"])
      expect(yield* read(BinanceConfig.marginAssets, { PORTFOLIO_BINANCE_MARGIN_ASSETS: "" })).toEqual(["USDT", "USDC", "BNFCR"])
      expect(yield* read(BinanceConfig.marginAssets, { PORTFOLIO_BINANCE_ASSET: "usdc" })).toEqual(["USDC"])
      expect(yield* read(BinanceConfig.marginAssets, { PORTFOLIO_BINANCE_ASSET: "usdc", PORTFOLIO_BINANCE_MARGIN_ASSETS: "USDT,USDC" })).toEqual(["USDT", "USDC"])
      const bad = yield* Effect.flip(read(BinanceConfig.marginAssets, { PORTFOLIO_BINANCE_MARGIN_ASSETS: "USDT,US DC" }))
      expect(String(bad)).toContain("PORTFOLIO_BINANCE_MARGIN_ASSETS")
      const two = yield* Effect.flip(read(BinanceConfig.marginAssets, { PORTFOLIO_BINANCE_ASSET: "USDT,USDC" }))
      expect(String(two)).toContain("PORTFOLIO_BINANCE_ASSET")
    }))

  it.effect("reads the price feed URLs with their defaults", () =>
    Effect.gen(function*() {
      expect(yield* read(BinancePriceFeed.optionsConfig, {})).toEqual({ wsUrl: "wss://fstream.binance.com", restUrl: "https://fapi.binance.com" })
      expect(yield* read(BinancePriceFeed.optionsConfig, { PORTFOLIO_BINANCE_WS_URL: "ws://127.0.0.1:1234" })).toMatchObject({ wsUrl: "ws://127.0.0.1:1234" })
    }))

  it.effect("names the bad variable", () =>
    Effect.gen(function*() {
      const cases: Array<[Record<string, string>, string]> = [
        [{ PORTFOLIO_BINANCE_WS_URL: "https://not-a-socket" }, "PORTFOLIO_BINANCE_WS_URL"],
        [{ PORTFOLIO_BINANCE_REST_URL: "nope" }, "PORTFOLIO_BINANCE_REST_URL"]
      ]
      for (const [vars, name] of cases) {
        expect(String(yield* Effect.flip(read(BinancePriceFeed.optionsConfig, vars)))).toContain(name)
      }
      const window = yield* Effect.flip(read(BinanceAccountBalance.optionsConfig, { PORTFOLIO_BINANCE_API_KEY: "k", PORTFOLIO_BINANCE_API_SECRET: SECRET, PORTFOLIO_BINANCE_RECV_WINDOW: "70000" }))
      expect(String(window)).toContain("PORTFOLIO_BINANCE_RECV_WINDOW")
      expect(String(window)).not.toContain(SECRET)
    }))

  it.scopedLive("layerConfig reads Binance through the configured URL and keys", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 321 }])
      const balance = yield* Effect.flatMap(AccountBalance, (b) => b.balance).pipe(
        Effect.provide(
          BinanceAccountBalance.layerConfig.pipe(
            Layer.provide(Layer.setConfigProvider(env({
              PORTFOLIO_BINANCE_API_KEY: fake.apiKey,
              PORTFOLIO_BINANCE_API_SECRET: fake.apiSecret,
              PORTFOLIO_BINANCE_REST_URL: fake.restUrl
            })))
          )
        )
      )
      expect(balance).toMatchObject({ source: "exchange", walletBalance: 321 })
    }))
})
