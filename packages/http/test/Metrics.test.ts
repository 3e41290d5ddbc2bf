/**
 * `GET /metrics` on a real listening server (the service on memory adapters, an API key set):
 * the key is required as on every route; the text parses as the Prometheus format; it counts
 * events by type and outcome, dead letters, batches, commits and HTTP requests by route
 * template (never the raw path) and status; the portfolio gauges carry the last published
 * snapshot's figures.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HttpServer from "@effect/platform/HttpServer"
import { EventBus, PortfolioConfig, PortfolioLive, PortfolioService } from "@portfolio/core"
import { Effect, Layer, Option, Redacted } from "effect"
import * as Adapters from "../src/Adapters.js"
import * as HttpConfig from "../src/HttpConfig.js"
import * as Server from "../src/Server.js"
import * as Http from "./support/Http.js"
import * as PromText from "./support/PromText.js"
import { waitFor } from "./support/WaitFor.js"

const KEY = "metrics-test-key-0123456789"
const withKey = { "x-api-key": KEY }

const memory: Adapters.Choice = { store: { kind: "memory" }, bus: { kind: "memory" }, exchange: { kind: "paper", initialCash: 10_000 } }

/** The server, with the service and the bus behind it left in context for the test. */
const live = Server.layer(HttpConfig.make({ logRequests: false, port: 0, host: "127.0.0.1", apiKey: Option.some(Redacted.make(KEY)) })).pipe(
  Layer.provideMerge(PortfolioLive.layer),
  Layer.provide(PortfolioConfig.layer()),
  Layer.provideMerge(Adapters.layer(memory))
)

const baseUrl = Effect.map(HttpServer.HttpServer, (server) =>
  server.address._tag === "TcpAddress" ? `http://127.0.0.1:${server.address.port}` : "unreachable"
)

const scrape = (url: string) =>
  Effect.gen(function* () {
    const answer = yield* Http.get(url, "/metrics", withKey)
    expect(answer.status).toBe(200)
    return { answer, e: PromText.parse(answer.text) }
  })

describe("GET /metrics", () => {
  it.live("serves the Prometheus text behind the API key, with events, HTTP latency by route template and the portfolio gauges", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const service = yield* PortfolioService
      const bus = yield* EventBus

      expect((yield* Http.get(url, "/metrics")).status).toBe(401)
      expect((yield* Http.get(url, "/metrics", { "x-api-key": "wrong" })).status).toBe(401)

      const opened = { trade_id: "m1", symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity: 0.5, leverage: 2 }
      expect((yield* Http.sendEvent(url, "trade.opened", opened, withKey)).status).toBe(202)
      expect((yield* Http.sendEvent(url, "trade.opened", { ...opened, trade_id: "m2", symbol: "ETHUSDT", entry_price: 2_000, quantity: 3, side: "SHORT" }, withKey)).status).toBe(202)
      expect((yield* Http.sendEvent(url, "market.tick", { symbol: "BTCUSDT", price: 41_000 }, withKey)).status).toBe(202)
      expect((yield* Http.sendEvent(url, "trade.opened", { ...opened }, withKey)).status).toBe(202) // duplicate
      expect((yield* Http.sendEvent(url, "trade.opened", { symbol: "BTCUSDT" }, withKey)).status).toBe(422) // rejected
      expect((yield* Http.get(url, "/no/such/route?x=1", withKey)).status).toBe(404)
      // An invalid bus entry is dead-lettered.
      yield* bus.publish({ event_type: "trade.closed", payload: "{not json", trace_id: "", source: "test" })
      yield* service.publishSnapshot
      const snapshot = (yield* Http.get(url, "/api/portfolio/snapshot", withKey)).body

      const { answer } = yield* scrape(url)
      expect(answer.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/)
      const { e } = yield* waitFor(scrape(url), ({ e }) => PromText.find(e, "portfolio_dead_letters_total").length > 0, "the dead letter counted")

      // Events by type and outcome.
      expect(e.type.get("portfolio_events_total")).toBe("counter")
      expect(PromText.value(e, "portfolio_events_total", { type: "trade.opened", outcome: "applied" })).toBe(2)
      expect(PromText.value(e, "portfolio_events_total", { type: "trade.opened", outcome: "duplicate" })).toBe(1)
      expect(PromText.value(e, "portfolio_events_total", { type: "trade.opened", outcome: "rejected" })).toBe(1)
      expect(PromText.value(e, "portfolio_events_total", { type: "market.tick", outcome: "applied" })).toBe(1)
      expect(PromText.value(e, "portfolio_dead_letters_total", { type: "trade.closed" })).toBe(1)

      // Batches and commits.
      expect(PromText.value(e, "portfolio_ingest_batch_size_count")).toBeGreaterThanOrEqual(5)
      expect(PromText.value(e, "portfolio_store_commit_seconds_count")).toBeGreaterThanOrEqual(2)

      // HTTP latency by route template and status: the raw path never appears.
      expect(e.type.get("portfolio_http_request_duration_seconds")).toBe("histogram")
      expect(PromText.value(e, "portfolio_http_request_duration_seconds_count", { route: "/api/events", method: "POST", status: "202" })).toBe(4)
      expect(PromText.value(e, "portfolio_http_request_duration_seconds_count", { route: "/api/events", method: "POST", status: "422" })).toBe(1)
      expect(PromText.value(e, "portfolio_http_request_duration_seconds_count", { route: "/metrics", method: "GET", status: "401" })).toBe(2)
      expect(PromText.value(e, "portfolio_http_request_duration_seconds_count", { route: "unmatched", method: "GET", status: "404" })).toBe(1)
      expect(e.samples.filter((s) => s.labels["route"]?.includes("no/such"))).toEqual([])
      expect(PromText.checkHistograms(e)).toBeGreaterThanOrEqual(6)

      // The gauges: the published snapshot's figures.
      expect(PromText.value(e, "portfolio_equity")).toBeCloseTo(snapshot.total_equity, 6)
      expect(PromText.value(e, "portfolio_exposure", { side: "long" })).toBeCloseTo(20_500, 6)
      expect(PromText.value(e, "portfolio_exposure", { side: "short" })).toBeCloseTo(6_000, 6)
      expect(PromText.value(e, "portfolio_exposure", { side: "net" })).toBeCloseTo(14_500, 6)
      expect(PromText.value(e, "portfolio_exposure", { side: "total" })).toBeCloseTo(26_500, 6)
      expect(PromText.value(e, "portfolio_unrealized_pnl")).toBeCloseTo(500, 6)
      expect(PromText.value(e, "portfolio_open_positions")).toBe(2)
      expect(PromText.find(e, "portfolio_drawdown_pct").map((s) => s.labels["window"]).sort()).toEqual(["daily", "max", "weekly"])
      expect(PromText.value(e, "portfolio_parked_closes")).toBe(0)
      expect(Math.abs(PromText.value(e, "portfolio_last_snapshot_timestamp_seconds") - Date.now() / 1000)).toBeLessThan(60)
    }).pipe(Effect.provide(live)), 60_000)
})
