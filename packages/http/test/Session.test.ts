/**
 * End to end, on the embedded defaults (SQLite file, in-process bus, paper cash): a session
 * fed through `POST /api/events` gives the hand-computed figures on every endpoint; a restart
 * on the same database gives back the positions, their last prices and the realized PnL;
 * SIGTERM exits 0.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import * as Http from "./support/Http.js"
import * as ServerProcess from "./support/ServerProcess.js"
import * as Session from "./support/Session.js"

const close = (actual: number, wanted: number) => expect(actual).toBeCloseTo(wanted, 9)

describe("a session through POST /api/events (SQLite, in-process bus, paper cash)", () => {
  it.scopedLive("gives the hand-computed figures, survives a restart, stops with exit code 0", () =>
    Effect.gen(function* () {
      const dir = yield* ServerProcess.tempDir
      const env = {
        PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "portfolio.db"),
        PORTFOLIO_INITIAL_CASH: "10000",
        PORTFOLIO_SNAPSHOT_INTERVAL: "3600",
        // One snapshot (and equity sample) per lifecycle event, unthrottled: the drawdown is exact.
        PORTFOLIO_SNAPSHOT_THROTTLE_MS: "0"
      }
      const server = yield* ServerProcess.start(env)
      expect(server.output()).toContain(`store=sqlite(${join(dir, "portfolio.db")}) bus=memory balance=paper(10000) prices=ticks`)

      const base = Session.BASE
      for (const event of Session.events(base)) {
        const answer = yield* Http.sendEvent(server.url, event.type, event.payload)
        expect({ type: event.type, status: answer.status, result: answer.body?.status }).toEqual({ type: event.type, status: 202, result: "applied" })
      }
      // Delivered again: nothing changes. An older price: ignored. A bad event: rejected with its field.
      const again = yield* Http.sendEvent(server.url, "trade.opened", Session.events(base)[0]!.payload)
      expect(again.status).toBe(202)
      expect(again.body).toMatchObject({ status: "duplicate", event_id: "trade.opened:T1" })
      const stale = yield* Http.sendEvent(server.url, "market.tick", { symbol: "BTCUSDT", price: 1, timestamp: Session.pythonTime(base - 60_000) })
      expect(stale.status).toBe(202)
      expect(stale.body.status).toBe("ignored")
      expect(stale.body.reason).toEqual(expect.any(String))
      const bad = yield* Http.sendEvent(server.url, "trade.opened", { trade_id: "T9", symbol: "BTCUSDT", side: "UP", entry_price: -1, quantity: 1 })
      expect(bad.status).toBe(422)
      expect(bad.body).toMatchObject({ error: "invalid_event", status: "rejected", event_type: "trade.opened" })
      expect(bad.body.issues.map((i: { path: string }) => i.path).sort()).toEqual(["payload.entry_price", "payload.side"])

      const { byId, pnl } = yield* Session.expectFigures(server.url)
      const x = Session.expected

      const health = yield* Http.get(server.url, "/health")
      expect(health.status).toBe(200)
      expect(health.body.status).toBe("ok")
      expect(health.body.events.processed).toEqual({ "trade.opened": 4, "trade.closed": 3, "market.tick": 2, "order.executed": 1, "ess.tripped": 1 })
      expect(health.body.events.duplicates).toEqual({ "trade.opened": 1 })
      expect(health.body.events.rejected).toEqual({ "trade.opened": 1 })

      const rejected = (yield* Http.get(server.url, "/api/events/rejected")).body
      expect(rejected).toHaveLength(1)
      expect(rejected[0]).toMatchObject({ event_type: "trade.opened", origin: "http", bus_id: null })
      expect(rejected[0].reason).toContain("payload.side")

      // SIGTERM: a graceful stop with exit code 0.
      expect(yield* server.stop("SIGTERM")).toEqual({ code: 0, signal: null })
      expect(server.output()).toContain("portfolio service stopped")

      // The same database: the same positions, marked at their last prices, and realized PnL.
      const again2 = yield* ServerProcess.start(env)
      const after = (yield* Http.get(again2.url, "/api/portfolio/snapshot")).body
      expect(after.positions.map((p: { trade_id: string }) => p.trade_id).sort()).toEqual(["T1", "T4"])
      const afterById = Object.fromEntries(after.positions.map((p: { trade_id: string }) => [p.trade_id, p]))
      for (const id of ["T1", "T4"]) {
        expect(afterById[id]).toMatchObject({ symbol: byId[id].symbol, side: byId[id].side, leverage: byId[id].leverage, opened_at: byId[id].opened_at })
        for (const key of ["size", "entry_price", "realized_pnl", "current_price", "unrealized_pnl", "exposure"]) close(afterById[id][key], byId[id][key])
      }
      close(afterById.T1.current_price, x.t1.mark)
      close(after.realized_pnl_total, x.realized)
      close(after.cash_balance, x.cash)
      close(after.unrealized_pnl, x.unrealized)
      close(after.total_equity, x.equity)
      close(after.total_exposure, x.exposure)
      const pnlAfter = (yield* Http.get(again2.url, "/api/portfolio/pnl")).body
      for (const key of ["realized_pnl_total", "realized_pnl_today", "realized_pnl_week", "realized_pnl_month", "win_rate", "profit_factor", "fees_total", "best_trade_pnl", "worst_trade_pnl"]) {
        close(pnlAfter[key], pnl[key])
      }
      const drawdownAfter = (yield* Http.get(again2.url, "/api/portfolio/drawdown")).body
      close(drawdownAfter.peak_equity, x.peak)
      close(drawdownAfter.max_drawdown_pct, x.maxDrawdownPct)
      const duplicate = yield* Http.sendEvent(again2.url, "trade.closed", Session.events(base)[5]!.payload)
      expect(duplicate.body.status).toBe("duplicate")
      expect(yield* again2.stop("SIGINT")).toEqual({ code: 0, signal: null })
    }), 120_000)
})
