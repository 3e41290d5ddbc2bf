/**
 * End to end, on the Redis bus (a real `redis-server` on a free port): the session written to
 * the streams the way the Python services write them (`XADD quantum:stream:<type> MAXLEN ~
 * 10000 * event_type … payload <json> …`) gives the same figures as through HTTP; what the
 * service publishes appears on `quantum:stream:portfolio.*` in the same layout; an invalid
 * entry is dead-lettered; `/health` answers 503 while Redis is down and recovers with it; the
 * stop publishes a last snapshot.
 */
import { RedisServer } from "@portfolio/adapters-redis/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Http from "./support/Http.js"
import * as Resp from "./support/Resp.js"
import * as ServerProcess from "./support/ServerProcess.js"
import * as Session from "./support/Session.js"
import { waitFor } from "./support/WaitFor.js"

const processedCount = (url: string) =>
  Effect.map(Http.get(url, "/health"), (h) => Object.values(h.body?.events?.processed ?? {}).reduce((s: number, n) => s + Number(n), 0))


describe("the session through Redis Streams", () => {
  it.scopedLive("gives the same figures, publishes on portfolio.* streams, survives Redis going away", () =>
    Effect.gen(function* () {
      const redis = yield* RedisServer.start()
      const server = yield* ServerProcess.start({
        PORTFOLIO_REDIS_HOST: "127.0.0.1",
        PORTFOLIO_REDIS_PORT: String(redis.port),
        PORTFOLIO_REDIS_BLOCK_MS: "100",
        PORTFOLIO_REDIS_DOWN_AFTER_MS: "300",
        PORTFOLIO_TRADE_STORE_TYPE: "memory",
        PORTFOLIO_INITIAL_CASH: "10000",
        PORTFOLIO_SNAPSHOT_INTERVAL: "3600",
        // One snapshot per lifecycle event, unthrottled, so the count below is exact.
        PORTFOLIO_SNAPSHOT_THROTTLE_MS: "0"
      })
      expect(server.output()).toContain(`bus=redis(redis://127.0.0.1:${redis.port}/0)`)
      const client = yield* Resp.connect(redis.port)

      // One entry at a time, each applied before the next: every event type has its own stream,
      // so only the producer's pace orders events across streams.
      const base = Session.BASE
      const events = Session.events(base)
      for (const [i, event] of events.entries()) {
        const ess = event.type === "ess.tripped"
        yield* Resp.xadd(client, `quantum:stream:${event.type}`, {
          event_type: event.type,
          payload: JSON.stringify(event.payload),
          trace_id: ess ? "trace-ess" : `trace-${i}`,
          timestamp: Session.pythonTime(base),
          source: "execution_service",
          ...(ess ? { correlation_id: "corr-ess" } : {})
        })
        yield* waitFor(processedCount(server.url), (n) => n === i + 1, `event ${i} (${event.type}) to be applied`)
      }

      yield* Session.expectFigures(server.url)
      const health = yield* Http.get(server.url, "/health")
      expect(health.status).toBe(200)
      expect(health.body.components.bus.status).toBe("ok")
      expect(health.body.events.processed).toEqual({ "trade.opened": 4, "trade.closed": 3, "market.tick": 2, "order.executed": 1, "ess.tripped": 1 })

      // What the service published, in the Python layout.
      const snapshots = yield* Resp.xrange(client, "quantum:stream:portfolio.snapshot_updated")
      expect(snapshots.length).toBeGreaterThanOrEqual(1 + 8)
      for (const { fields } of snapshots) {
        expect(fields).toMatchObject({ event_type: "portfolio.snapshot_updated", source: "portfolio_intelligence" })
        expect(fields.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
      }
      const lastSnapshot = JSON.parse(snapshots[snapshots.length - 1]!.fields.payload!)
      expect(lastSnapshot.total_equity).toBeCloseTo(Session.expected.equity, 9)
      expect(lastSnapshot.num_positions).toBe(2)

      const pnls = (yield* Resp.xrange(client, "quantum:stream:portfolio.pnl_updated")).map((e) => JSON.parse(e.fields.payload!))
      expect(pnls.map((p) => p.trade_id)).toEqual(["T1", "T2", "T3"])
      expect(pnls.map((p) => p.trade_realized_pnl)).toEqual([400, 390, -2004])
      expect(pnls[2].realized_pnl_total).toBeCloseTo(Session.expected.realized, 9)

      const drawdowns = yield* Resp.xrange(client, "quantum:stream:portfolio.drawdown_updated")
      const essEntry = drawdowns.find((e) => JSON.parse(e.fields.payload!).reason === "ess_tripped")
      expect(essEntry?.fields).toMatchObject({ trace_id: "trace-ess", correlation_id: "corr-ess" })
      expect(JSON.parse(essEntry!.fields.payload!)).toMatchObject({ ess_reason: "daily loss limit", threshold_pct: 5 })
      expect((yield* Resp.xrange(client, "quantum:stream:portfolio.exposure_updated")).length).toBeGreaterThanOrEqual(1)

      // An entry that is not valid: dead-lettered with the reason, and listed among the rejections.
      yield* Resp.xadd(client, "quantum:stream:trade.opened", { event_type: "trade.opened", payload: "{not json", trace_id: "", timestamp: Session.pythonTime(Date.now()), source: "execution_service" })
      const dead = yield* waitFor(Resp.xrange(client, "quantum:dlq:trade.opened"), (d) => d.length === 1, "the dead letter")
      expect(dead[0]!.fields).toMatchObject({ event_type: "trade.opened", payload: "{not json" })
      expect(dead[0]!.fields.error).toContain("not JSON")
      expect(dead[0]!.fields.original_id).toMatch(/^\d+-\d+$/)
      const rejected = (yield* Http.get(server.url, "/api/events/rejected")).body
      expect(rejected).toEqual([expect.objectContaining({ event_type: "trade.opened", origin: "bus", bus_id: dead[0]!.fields.original_id })])

      // Redis goes away: /health says 503 with the same body, the API keeps answering; Redis
      // comes back: 200, and consumption resumes.
      yield* redis.kill
      const down = yield* waitFor(Http.get(server.url, "/health"), (h) => h.status === 503, "/health to answer 503")
      expect(down.body).toMatchObject({ status: "down", components: { bus: { status: "down", required: true } } })
      expect((yield* Http.get(server.url, "/api/portfolio/snapshot")).status).toBe(200)
      yield* redis.restart
      yield* waitFor(Http.get(server.url, "/health"), (h) => h.status === 200, "/health to recover")
      const client2 = yield* Resp.connect(redis.port)
      yield* Resp.xadd(client2, "quantum:stream:market.tick", { event_type: "market.tick", payload: JSON.stringify({ symbol: "BTCUSDT", price: 43_500 }), trace_id: "", timestamp: Session.pythonTime(Date.now()), source: "market_data" })
      const snapshot = yield* waitFor(Http.get(server.url, "/api/portfolio/snapshot"), (s) => s.body.positions[0]?.current_price === 43_500, "the tick after the restart of Redis")
      expect(snapshot.body.unrealized_pnl).toBeCloseTo((43_500 - 40_000) * 0.3 + (43_500 - 44_000) * 0.1, 9)

      // A graceful stop publishes a last snapshot.
      const before = (yield* Resp.xrange(client2, "quantum:stream:portfolio.snapshot_updated")).length
      expect(yield* server.stop("SIGTERM")).toEqual({ code: 0, signal: null })
      expect((yield* Resp.xrange(client2, "quantum:stream:portfolio.snapshot_updated")).length).toBe(before + 1)
    }), 120_000)
})
