/**
 * `/health` stays open but names no host, port, URL or file path to a caller without the API
 * key (HealthView): checked on the scrubbing rules, and on a real listening server on a real
 * Redis bus and a SQLite file — anonymous, with the key (header and bearer), and with no key
 * configured (the whole answer: everything is open then).
 */
import { RedisServer } from "@portfolio/adapters-redis/testing"
import { describe, expect, it } from "@effect/vitest"
import * as HttpServer from "@effect/platform/HttpServer"
import { PortfolioConfig, PortfolioLive, type ServiceHealth } from "@portfolio/core"
import { Effect, Layer, Option, Redacted } from "effect"
import { join } from "node:path"
import * as Adapters from "../src/Adapters.js"
import * as HealthView from "../src/HealthView.js"
import * as HttpConfig from "../src/HttpConfig.js"
import * as Server from "../src/Server.js"
import * as Http from "./support/Http.js"
import * as ServerProcess from "./support/ServerProcess.js"
import { waitFor } from "./support/WaitFor.js"

const KEY = "health-view-test-key-0123456789"

describe("HealthView.scrub", () => {
  it("hides URLs, addresses, host:port, resolver names and paths; keeps times and counts", () => {
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["connected to redis://user@cache.internal:6380/2", "connected to <hidden>"],
      ["reconnecting to redis://127.0.0.1:6379/0 for 3.0 s: connect ECONNREFUSED 127.0.0.1:6379", "reconnecting to <hidden> for 3.0 s: connect ECONNREFUSED <hidden>"],
      ["getaddrinfo ENOTFOUND pg.internal", "getaddrinfo ENOTFOUND <hidden>"],
      ["reachable: /srv/app/data/portfolio.db", "reachable: <hidden>"],
      ["reachable: postgres(db.internal:5432/portfolio, account default)", "reachable: postgres(<hidden>/portfolio, account default)"],
      ["Binance unavailable on https://fapi.binance.com/fapi/v3/balance: timeout", "Binance unavailable on <hidden>: timeout"],
      ["stream down (wss://fstream.binance.com/ws closed)", "stream down (<hidden> closed)"],
      ["peer [::1]:6379 closed", "peer <hidden> closed"],
      ["cash is the last known, stale since 2025-03-07T09:00:00.000Z", "cash is the last known, stale since 2025-03-07T09:00:00.000Z"],
      ["3 position(s) match the exchange; 2.5 s old", "3 position(s) match the exchange; 2.5 s old"]
    ]
    for (const [text, shown] of cases) expect(HealthView.scrub(text)).toBe(shown)
  })

  it("drops the details that say where, scrubs the other texts, keeps numbers", () => {
    const health = {
      service: "portfolio_intelligence",
      status: "ok",
      version: "0",
      uptime_seconds: 1,
      components: {
        bus: {
          status: "ok",
          required: true,
          message: "connected to redis://cache:6379/0",
          details: { redis: "redis://cache:6379/0", consumer: "svc_1", counters: { "trade.opened": { delivered: 3 } }, lag: { "trade.opened": 0 }, rest_url: "https://x", last_error: "connect ECONNREFUSED 10.0.0.7:6379" }
        }
      },
      events: {} as ServiceHealth["events"],
      last_snapshot_at: null,
      timestamp: "2025-03-07T09:00:00.000Z"
    } as ServiceHealth
    expect(HealthView.redact(health).components["bus"]).toEqual({
      status: "ok",
      required: true,
      message: "connected to <hidden>",
      details: { consumer: "svc_1", counters: { "trade.opened": { delivered: 3 } }, lag: { "trade.opened": 0 }, last_error: "connect ECONNREFUSED <hidden>" }
    })
  })
})

const serverOn = (redisPort: number, dbPath: string, apiKey: Option.Option<Redacted.Redacted<string>>) =>
  Server.layer(HttpConfig.make({ logRequests: false, port: 0, host: "127.0.0.1", apiKey })).pipe(
    Layer.provide(PortfolioLive.layer),
    Layer.provide(PortfolioConfig.layer()),
    Layer.provide(
      Adapters.layer({
        store: { kind: "sqlite", options: { path: dbPath } },
        bus: { kind: "redis", options: { url: Redacted.make(`redis://127.0.0.1:${redisPort}/0`) } },
        exchange: { kind: "paper", initialCash: 10_000 }
      })
    )
  )

const baseUrl = Effect.map(HttpServer.HttpServer, (s) => (s.address._tag === "TcpAddress" ? `http://127.0.0.1:${s.address.port}` : ""))

describe("GET /health on a real server", () => {
  it.scopedLive("anonymous: no host, port, URL or path; with the key: all of it; no key configured: all of it", () =>
    Effect.gen(function* () {
      const redis = yield* RedisServer.start()
      const dir = yield* ServerProcess.tempDir
      const dbPath = join(dir, "health.db")
      const leaks = (text: string) =>
        [`:${redis.port}`, "127.0.0.1", "redis://", dir, "health.db"].filter((needle) => text.includes(needle))

      yield* Effect.gen(function* () {
        const url = yield* baseUrl
        const anonymous = yield* waitFor(Http.get(url, "/health"), (a) => a.body?.components?.bus?.status === "ok", "the bus connected")
        expect(anonymous.status).toBe(200)
        expect(leaks(anonymous.text)).toEqual([])
        expect(anonymous.body.components.bus).toMatchObject({ status: "ok", message: "connected to <hidden>" })
        expect(anonymous.body.components.bus.details.counters).toBeDefined() // operational figures stay
        expect(anonymous.body.components.store.status).toBe("ok")
        const wrongKey = yield* Http.get(url, "/health", { "x-api-key": "not-the-key" })
        expect(leaks(wrongKey.text)).toEqual([])

        for (const headers of [{ "x-api-key": KEY }, { authorization: `Bearer ${KEY}` }]) {
          const keyed = yield* Http.get(url, "/health", headers)
          expect(keyed.status).toBe(200)
          expect(keyed.body.components.bus.message).toBe(`connected to redis://127.0.0.1:${redis.port}/0`)
          expect(keyed.text).toContain(dbPath)
        }
      }).pipe(Effect.provide(serverOn(redis.port, dbPath, Option.some(Redacted.make(KEY)))))

      // No key configured: every route is open, /health too.
      yield* Effect.gen(function* () {
        const open = yield* Http.get(yield* baseUrl, "/health")
        expect(open.body.components.bus.message).toContain(`redis://127.0.0.1:${redis.port}/0`)
        expect(open.text).toContain(dbPath)
      }).pipe(Effect.provide(serverOn(redis.port, dbPath, Option.none())))
    }), 60_000)
})
