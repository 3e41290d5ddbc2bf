/**
 * Push on the Redis bus: the service as a child process consuming a real `redis-server`; an
 * entry written to `quantum:stream:trade.opened` the way the Python services write it reaches a
 * connected SSE client and a WebSocket client as a snapshot holding the new position (the push
 * streams carry what the service publishes, whatever the bus). A stop ends the open streams
 * instead of waiting for them.
 */
import { RedisServer } from "@portfolio/adapters-redis/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Clients from "./support/Push.js"
import * as Resp from "./support/Resp.js"
import * as ServerProcess from "./support/ServerProcess.js"
import { waitFor } from "./support/WaitFor.js"

const hasTrade = (id: string) => (events: ReadonlyArray<Clients.Received>) =>
  events.some((e) => e.type === "portfolio.snapshot_updated" && e.payload.positions.some((p: { trade_id: string }) => p.trade_id === id))

describe("Push on Redis", () => {
  it.scopedLive("an entry added to a Redis stream reaches SSE and WebSocket clients", () =>
    Effect.gen(function* () {
      const redis = yield* RedisServer.start()
      const server = yield* ServerProcess.start({
        PORTFOLIO_REDIS_HOST: "127.0.0.1",
        PORTFOLIO_REDIS_PORT: String(redis.port),
        PORTFOLIO_REDIS_BLOCK_MS: "100",
        PORTFOLIO_TRADE_STORE_TYPE: "memory",
        PORTFOLIO_API_KEY: "k3y"
      })
      const sse = yield* Clients.sse(server.port, "/api/portfolio/stream?types=snapshot&token=k3y")
      const ws = yield* Clients.ws(server.port, "/ws?types=snapshot", { authorization: "Bearer k3y" })
      expect(sse.status).toBe(200)
      expect(ws.status).toBe(101)
      const client = yield* Resp.connect(redis.port)
      yield* Resp.xadd(client, "quantum:stream:trade.opened", {
        event_type: "trade.opened",
        payload: JSON.stringify({ trade_id: "redis-1", symbol: "ETHUSDT", side: "BUY", entry_price: 2000, quantity: 3, leverage: 2 }),
        trace_id: "t-1",
        timestamp: new Date().toISOString().replace("Z", "000"),
        source: "execution_service"
      })
      const got = yield* waitFor(Effect.sync(() => sse.events), hasTrade("redis-1"), "the snapshot over SSE", "10 seconds")
      yield* waitFor(Effect.sync(() => ws.events), hasTrade("redis-1"), "the snapshot over WebSocket", "10 seconds")
      const position = got.find((e) => hasTrade("redis-1")([e]))!.payload.positions.find((p: { trade_id: string }) => p.trade_id === "redis-1")
      expect(position).toMatchObject({ symbol: "ETHUSDT", size: 3, entry_price: 2000 })

      // A stop ends the open streams first, so it does not wait out the shutdown grace (8 s) for them.
      const stopping = performance.now()
      const exit = yield* server.stop("SIGTERM")
      expect(exit.code).toBe(0)
      expect(performance.now() - stopping).toBeLessThan(6_000)
    }), 60_000)
})
