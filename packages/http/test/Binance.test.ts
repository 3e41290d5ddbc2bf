/**
 * End to end, with both Binance keys set (against the fake exchange that ships with the
 * adapter, on 127.0.0.1): cash is the exchange's wallet balance and follows it, prices come
 * from its mark-price stream for the symbols of open trades, and the keys are never printed.
 */
import { FakeBinance } from "@portfolio/adapters-binance/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Http from "./support/Http.js"
import * as ServerProcess from "./support/ServerProcess.js"
import { waitFor } from "./support/WaitFor.js"


describe("with Binance keys", () => {
  it.scopedLive("takes cash from the exchange wallet and prices from its mark-price stream", () =>
    Effect.gen(function* () {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 25_000 }])
      const server = yield* ServerProcess.start({
        PORTFOLIO_TRADE_STORE_TYPE: "memory",
        PORTFOLIO_BINANCE_API_KEY: fake.apiKey,
        PORTFOLIO_BINANCE_API_SECRET: fake.apiSecret,
        PORTFOLIO_BINANCE_REST_URL: fake.restUrl,
        PORTFOLIO_BINANCE_WS_URL: fake.wsUrl,
        PORTFOLIO_BINANCE_REFRESH_INTERVAL: "200 millis"
      })
      expect(server.output()).toContain(`balance=binance(${fake.restUrl}) prices=binance(${fake.wsUrl})`)
      expect(server.output()).not.toContain(fake.apiKey)
      expect(server.output()).not.toContain(fake.apiSecret)

      const cash = (yield* waitFor(Http.get(server.url, "/api/portfolio/snapshot"), (s) => s.body.cash_balance === 25_000, "the wallet balance")).body
      expect(cash.total_equity).toBe(25_000)

      const opened = yield* Http.sendEvent(server.url, "trade.opened", { trade_id: "B1", symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity: 0.5, leverage: 10 })
      expect(opened.body.status).toBe("applied")
      // The trade's symbol is subscribed on the stream; a mark price pushed there moves it.
      yield* waitFor(Effect.sync(() => fake.pushMarkPrice("BTCUSDT", 41_000)), (streams) => streams > 0, "the BTCUSDT mark-price subscription")
      const marked = (yield* waitFor(Http.get(server.url, "/api/portfolio/snapshot"), (s) => s.body.positions[0]?.current_price === 41_000, "the pushed mark price")).body
      expect(marked.positions[0]).toMatchObject({ price_stale: false, unrealized_pnl: 500 })
      expect(marked.total_equity).toBe(25_500)

      // The wallet moves on the exchange: cash follows (realized PnL is not added to exchange cash).
      fake.setBalances([{ asset: "USDT", balance: 26_000 }])
      const moved = (yield* waitFor(Http.get(server.url, "/api/portfolio/snapshot"), (s) => s.body.cash_balance === 26_000, "the new wallet balance")).body
      expect(moved.total_equity).toBe(26_500)

      const health = (yield* Http.get(server.url, "/health")).body
      expect(health.components.balance).toMatchObject({ status: "ok", required: true })
      expect(health.components.price_feed.status).toBe("ok")

      // Reconciliation with the exchange's book: missing there at first, matched once it holds it.
      expect(health.components.reconciliation).toMatchObject({ status: "degraded", required: false })
      expect(health.components.reconciliation.message).toContain("BTCUSDT LONG")
      fake.setPositions([{ symbol: "BTCUSDT", positionAmt: 0.5, entryPrice: 40_000 }])
      yield* waitFor(Http.get(server.url, "/health"), (h) => h.body.components.reconciliation?.status === "ok", "the books to match")
      expect(fake.requests().length).toBeGreaterThan(0)
      expect(yield* server.stop("SIGTERM")).toEqual({ code: 0, signal: null })
    }), 120_000)

  it.scopedLive("answers 503 on the portfolio endpoints until cash was read once, then 200", () =>
    Effect.gen(function* () {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 12_000 }])
      fake.setOutage(true)
      const server = yield* ServerProcess.start({
        PORTFOLIO_TRADE_STORE_TYPE: "memory",
        PORTFOLIO_BINANCE_API_KEY: fake.apiKey,
        PORTFOLIO_BINANCE_API_SECRET: fake.apiSecret,
        PORTFOLIO_BINANCE_REST_URL: fake.restUrl,
        PORTFOLIO_BINANCE_WS_URL: fake.wsUrl,
        PORTFOLIO_BINANCE_REFRESH_INTERVAL: "200 millis"
      })
      for (const path of ["snapshot", "pnl", "exposure", "drawdown", "positions"]) {
        const answer = yield* Http.get(server.url, `/api/portfolio/${path}`)
        expect(answer.status, path).toBe(503)
        expect(answer.body).toMatchObject({ error: "cash_unavailable", message: expect.stringContaining("cash balance unavailable"), details: { retryable: expect.any(Boolean) } })
        expect(answer.text).not.toContain(fake.apiKey)
        expect(answer.text).not.toContain(fake.restUrl)
      }
      expect((yield* Http.get(server.url, "/health")).body.components.balance.status).toBe("down")

      fake.setOutage(false)
      const snapshot = (yield* waitFor(Http.get(server.url, "/api/portfolio/snapshot"), (s) => s.status === 200, "the first wallet balance")).body
      expect(snapshot).toMatchObject({ cash_balance: 12_000, total_equity: 12_000 })
      expect(snapshot.cash_stale_since).toBeUndefined()
      for (const path of ["pnl", "exposure", "drawdown", "positions"]) {
        expect((yield* Http.get(server.url, `/api/portfolio/${path}`)).status, path).toBe(200)
      }

      // Read once, then unreachable: the last known cash, marked stale.
      fake.setOutage(true)
      const stale = (yield* waitFor(Http.get(server.url, "/api/portfolio/snapshot"), (s) => s.body?.cash_stale_since !== undefined, "cash marked stale")).body
      expect(stale.status ?? 200).toBe(200)
      expect(stale.cash_balance).toBe(12_000)
      expect(stale.cash_stale_since).toMatch(/^\d{4}-\d{2}-\d{2}T/)
      expect((yield* Http.get(server.url, "/health")).body.components.balance.status).toBe("degraded")
      expect(yield* server.stop("SIGTERM")).toEqual({ code: 0, signal: null })
    }), 120_000)
})
