/**
 * The trades of the analytics tests: T1 BTCUSDT +100, T2 ETHUSDT −50, T3 SOLUSDT +30 (round
 * trips with an authoritative `realized_pnl`), T4 BTCUSDT still open (2 @ 200, marked 210); all
 * on Tuesday 2024-03-05 from 12:00 UTC.
 */
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import * as Http from "./Http.js"

/** When the trades happened: Tuesday 2024-03-05 12:00 UTC. */
export const BASE = Date.UTC(2024, 2, 5, 12, 0, 0)
/** `BASE` + `minutes`, ISO. */
export const at = (minutes: number) => new Date(BASE + minutes * 60_000).toISOString()

/** Trade id, symbol, round-trip PnL. */
const trades: ReadonlyArray<readonly [string, string, number]> = [["T1", "BTCUSDT", 100], ["T2", "ETHUSDT", -50], ["T3", "SOLUSDT", 30]]

/** Posts the trades of the module doc. */
export const feed = (url: string) =>
  Effect.gen(function*() {
    const events: Array<[string, Record<string, unknown>]> = []
    trades.forEach(([id, symbol, pnl], i) => {
      events.push(["trade.opened", { trade_id: id, symbol, side: "LONG", entry_price: 100, quantity: 1, leverage: 1, timestamp: at(i * 10) }])
      events.push(["trade.closed", { trade_id: id, exit_price: 100 + pnl, quantity: 1, realized_pnl: pnl, timestamp: at(i * 10 + 5) }])
    })
    events.push(["trade.opened", { trade_id: "T4", symbol: "BTCUSDT", side: "LONG", entry_price: 200, quantity: 2, leverage: 1, timestamp: at(40) }])
    events.push(["market.tick", { symbol: "BTCUSDT", price: 210, timestamp: at(41) }])
    for (const [type, payload] of events) {
      const answer = yield* Http.sendEvent(url, type, payload)
      expect({ type, status: answer.status, result: answer.body?.status }).toEqual({ type, status: 202, result: "applied" })
    }
  })

/** `GET url + path`, expecting 200: its body. */
export const ok = (url: string, path: string) =>
  Effect.map(Http.get(url, path), (answer) => {
    expect(answer.status, `${path}: ${answer.text}`).toBe(200)
    return answer.body
  })

