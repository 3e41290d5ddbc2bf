/**
 * End to end, what goes wrong gets the right status and a clear JSON message
 * `{ error, message, details? }`, and the service keeps serving: API key missing or wrong
 * (401), bad JSON (400), wrong content type (415), oversized body (413), unknown route (404),
 * wrong method (405), a store that fails (500, nothing internal said). Also: CORS, the
 * request log (never the key), and a request in flight when SIGTERM arrives completes.
 */
import { SqliteDatabase } from "@portfolio/adapters-sqlite"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import * as Http from "./support/Http.js"
import * as ServerProcess from "./support/ServerProcess.js"

const KEY = "e2e-secret-key-0123456789"
const withKey = { "x-api-key": KEY }
const json = { "content-type": "application/json", ...withKey }
const tick = (price: number) => ({ event_type: "market.tick", payload: JSON.stringify({ symbol: "BTCUSDT", price }) })

describe("errors, API key, CORS and shutdown of the running service", () => {
  it.scopedLive("answers each error with its status and message, and keeps serving", () =>
    Effect.gen(function* () {
      const dir = yield* ServerProcess.tempDir
      const dbPath = join(dir, "portfolio.db")
      const server = yield* ServerProcess.start({
        PORTFOLIO_TRADE_STORE_DB_PATH: dbPath,
        PORTFOLIO_TRADE_STORE_BUSY_TIMEOUT_MS: "20",
        PORTFOLIO_API_KEY: KEY,
        PORTFOLIO_CORS_ORIGINS: "https://dash.example",
        PORTFOLIO_HTTP_MAX_BODY_BYTES: "4096"
      })
      const url = server.url
      const serving = Effect.gen(function* () {
        expect((yield* Http.get(url, "/health")).status).toBe(200)
        expect((yield* Http.get(url, "/api/portfolio/snapshot", withKey)).status).toBe(200)
      })

      // The API key from the environment (its forms and comparison: ApiKey.test.ts).
      expect((yield* Http.get(url, "/health")).status).toBe(200)
      const missing = yield* Http.get(url, "/api/portfolio/snapshot")
      expect(missing.status).toBe(401)
      expect(missing.body).toEqual({ error: "unauthorized", message: expect.stringContaining("missing API key") })
      expect((yield* Http.post(url, "/api/events", tick(42_000))).status).toBe(401)
      expect((yield* Http.post(url, "/api/events", tick(42_000), json)).status).toBe(202)

      // Bodies.
      const badJson = yield* Http.post(url, "/api/events", "{\"event_type\": ", json)
      expect(badJson.status).toBe(400)
      expect(badJson.body).toEqual({ error: "bad_request", message: expect.stringContaining("not valid JSON") })
      const empty = yield* Http.post(url, "/api/events", "", json)
      expect(empty.status).toBe(400)
      expect(empty.body.message).toContain("empty")
      const text = yield* Http.post(url, "/api/events", JSON.stringify(tick(1)), { "content-type": "text/plain", ...withKey })
      expect(text.status).toBe(415)
      expect(text.body).toMatchObject({ error: "unsupported_media_type", details: { expected: "application/json", received: "text/plain" } })
      const none = yield* Http.raw({ port: server.port, method: "POST", path: "/api/events", headers: { ...withKey, "content-length": "2" }, chunks: ["{}"] })
      expect(none.status).toBe(415)
      expect(none.body.message).toContain("no Content-Type")
      const big = JSON.stringify({ ...tick(1), padding: "x".repeat(5000) })
      const tooLarge = yield* Http.post(url, "/api/events", big, json)
      expect(tooLarge.status).toBe(413)
      expect(tooLarge.body).toMatchObject({ error: "payload_too_large", details: { limit_bytes: 4096 } })
      expect(tooLarge.body.message).toContain("PORTFOLIO_HTTP_MAX_BODY_BYTES")
      const chunked = yield* Http.raw({
        port: server.port,
        method: "POST",
        path: "/api/events",
        headers: { ...json, "transfer-encoding": "chunked" },
        chunks: [big.slice(0, 3000), big.slice(3000)]
      })
      expect(chunked.status).toBe(413)
      expect(chunked.body.error).toBe("payload_too_large")
      const invalid = yield* Http.post(url, "/api/events", { event_type: "market.tick", payload: { symbol: "BTCUSDT", price: "lots" } }, json)
      expect(invalid.status).toBe(422)
      expect(invalid.body).toMatchObject({ error: "invalid_event", status: "rejected", event_type: "market.tick" })
      expect(new Set(invalid.body.issues.map((i: { path: string }) => i.path))).toEqual(new Set(["payload.price"]))
      const unknownType = yield* Http.post(url, "/api/events", { event_type: "trade.teleported", payload: {} }, json)
      expect(unknownType.status).toBe(422)
      expect(unknownType.body.message).toContain("unknown event type")
      yield* serving

      // Routes and methods.
      const notFound = yield* Http.get(url, "/api/portfolio/nothing", withKey)
      expect(notFound.status).toBe(404)
      expect(notFound.body).toEqual({ error: "not_found", message: "no route GET /api/portfolio/nothing", details: { method: "GET", path: "/api/portfolio/nothing" } })
      const method = yield* Http.request(url, "/api/portfolio/snapshot", { method: "DELETE", headers: withKey })
      expect(method.status).toBe(405)
      expect(method.headers.get("allow")).toBe("GET")
      expect(method.body.error).toBe("method_not_allowed")
      expect((yield* Http.get(url, "/api/events", withKey)).headers.get("allow")).toBe("POST")
      yield* serving

      // CORS: the configured origin only; a preflight needs no key.
      const cors = yield* Http.get(url, "/api/portfolio/snapshot", { ...withKey, origin: "https://dash.example" })
      expect(cors.headers.get("access-control-allow-origin")).toBe("https://dash.example")
      const foreign = yield* Http.get(url, "/api/portfolio/snapshot", { ...withKey, origin: "https://evil.example" })
      expect(foreign.status).toBe(200)
      expect(foreign.headers.get("access-control-allow-origin")).toBeNull()
      const preflight = yield* Http.request(url, "/api/events", {
        method: "OPTIONS",
        headers: { origin: "https://dash.example", "access-control-request-method": "POST", "access-control-request-headers": "x-api-key, content-type" }
      })
      expect(preflight.status).toBe(204)
      expect(preflight.headers.get("access-control-allow-headers")).toContain("X-API-Key")
      expect(preflight.headers.get("access-control-allow-methods")).toContain("POST")

      // A store that fails after every retry: 503, with nothing of the cause in the answer; then it recovers.
      const lockedOut = yield* Effect.scoped(
        Effect.gen(function* () {
          const db = yield* SqliteDatabase.make({ path: dbPath, busyTimeoutMs: 0 })
          db.sqlite.exec("BEGIN EXCLUSIVE")
          const answer = yield* Http.post(url, "/api/events", { event_type: "trade.opened", payload: { trade_id: "L1", symbol: "BTCUSDT", side: "LONG", entry_price: 1, quantity: 1 } }, json)
          db.sqlite.exec("ROLLBACK")
          return answer
        })
      )
      expect(lockedOut.status).toBe(503)
      expect(lockedOut.body).toEqual({ error: "store_unavailable", message: expect.any(String) })
      expect(lockedOut.text).not.toMatch(/sqlite|locked|busy|stack|at /i)
      const retried = yield* Http.post(url, "/api/events", { event_type: "trade.opened", payload: { trade_id: "L1", symbol: "BTCUSDT", side: "LONG", entry_price: 1, quantity: 1 } }, json)
      expect(retried.status).toBe(202)
      expect(retried.body.status).toBe("applied")
      yield* serving

      // The request log: method, path, status and duration of each request; never the key.
      expect(server.output()).toMatch(/message=http method=GET path=\/api\/portfolio\/snapshot status=401 duration_ms=[\d.]+/)
      expect(server.output()).toMatch(/method=POST path=\/api\/events status=413/)
      // …the fast lane's answers too (a 200 snapshot, a 202 event).
      expect(server.output()).toMatch(/message=http method=GET path=\/api\/portfolio\/snapshot status=200 duration_ms=[\d.]+/)
      expect(server.output()).toMatch(/message=http method=POST path=\/api\/events status=202 duration_ms=[\d.]+/)
      expect(server.output()).not.toContain(KEY)

      // SIGTERM with a request in flight: it completes, then the process exits 0.
      const inFlight = yield* Http.raw({
        port: server.port,
        method: "POST",
        path: "/api/events",
        headers: { ...json, expect: "100-continue" },
        chunks: [JSON.stringify({ event_type: "trade.opened", payload: { trade_id: "F1", symbol: "ETHUSDT", side: "SHORT", entry_price: 2000, quantity: 1 } })],
        beforeBody: () =>
          Effect.runPromise(
            Effect.sync(() => process.kill(server.pid, "SIGTERM")).pipe(
              Effect.zipRight(ServerProcess.waitForOutput(server, /http server stopping/)),
              Effect.asVoid
            )
          )
      })
      expect(inFlight.status).toBe(202)
      expect(inFlight.body.status).toBe("applied")
      expect(yield* server.exited).toEqual({ code: 0, signal: null })
    }), 120_000)
})
