/**
 * The API key check through the real server (in this process, memory adapters): with a key
 * set, every endpoint but `/health`, `/docs` and `/openapi.json` needs it, sent as `X-API-Key`
 * or `Authorization: Bearer`; anything else is answered 401 in JSON. The key sent is compared
 * by SHA-256 digest with `timingSafeEqual`, so that its length or where it differs cannot
 * change the work done (a key of another length is compared all the same, never a 500).
 * Unknown routes and wrong methods are answered before the key is looked at. Without a key,
 * everything is open.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { vi } from "vitest"
import * as ApiKey from "../src/ApiKey.js"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"

// Every comparison of `timingSafeEqual`, by the lengths of what it compared.
const compared = vi.hoisted(() => [] as Array<readonly [number, number]>)
vi.mock("node:crypto", async (importOriginal) => {
  const crypto = await importOriginal<typeof import("node:crypto")>()
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([a.byteLength, b.byteLength])
      return crypto.timingSafeEqual(a, b)
    }
  }
})

const KEY = "s3cret-key-0123456789"
const tick = { event_type: "market.tick", payload: { symbol: "BTCUSDT", price: 42_000 } }

describe("ApiKey", () => {
  it.scopedLive("asks for the key everywhere but /health and the docs, in either form, and answers 401 in JSON", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const status = (path: string, headers: Record<string, string> = {}) => Effect.map(Http.get(url, path, headers), (a) => a.status)

      for (const open of ["/health", "/docs", "/openapi.json"]) expect(yield* status(open), open).toBe(200)

      const missing = yield* Http.get(url, "/api/portfolio/snapshot")
      expect(missing.status).toBe(401)
      expect(missing.body).toEqual({ error: "unauthorized", message: "missing API key: send it in the X-API-Key header or as Authorization: Bearer <key>" })
      const wrong = yield* Http.get(url, "/api/portfolio/snapshot", { "x-api-key": "not-the-key" })
      expect(wrong.status).toBe(401)
      expect(wrong.body).toEqual({ error: "unauthorized", message: "wrong API key" })
      expect(wrong.text).not.toContain(KEY)

      expect(yield* status("/api/portfolio/snapshot", { "x-api-key": KEY })).toBe(200)
      expect(yield* status("/api/portfolio/pnl", { authorization: `Bearer ${KEY}` })).toBe(200)
      expect(yield* status("/api/portfolio/pnl", { authorization: `bearer ${KEY}` })).toBe(200)
      expect(yield* status("/api/events/rejected", { authorization: "Bearer wrong", "x-api-key": KEY })).toBe(200)
      // Only the Bearer scheme carries the key in Authorization.
      expect(yield* status("/api/portfolio/pnl", { authorization: `Digest ${KEY}` })).toBe(401)
      expect(yield* status("/api/portfolio/pnl", { authorization: KEY })).toBe(401)

      expect((yield* Http.post(url, "/api/events", tick)).status).toBe(401)
      expect((yield* Http.post(url, "/api/events", tick, { "content-type": "application/json", "x-api-key": KEY })).status).toBe(202)

      // Before the key: an unknown route is 404, a wrong method 405.
      expect(yield* status("/api/portfolio/nothing")).toBe(404)
      expect((yield* Http.request(url, "/api/portfolio/snapshot", { method: "DELETE" })).status).toBe(405)
    }).pipe(Effect.provide(layer({ apiKey: Option.some(Redacted.make(KEY)) }))))

  it.scopedLive("compares digests in constant time, whatever the length of the key sent", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      for (const sent of ["", "s", KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase(), "k".repeat(10_000)]) {
        compared.length = 0
        for (const headers of [{ "x-api-key": sent }, { authorization: `Bearer ${sent}` }]) {
          const answer = yield* Http.get(url, "/api/portfolio/pnl", headers)
          expect(answer.status, JSON.stringify(sent.slice(0, 20))).toBe(401)
        }
        // Each form compared a 32-byte digest with the key's digest, empty keys included.
        expect(compared.length, JSON.stringify(sent.slice(0, 20))).toBeGreaterThanOrEqual(2)
        for (const lengths of compared) expect(lengths).toEqual([32, 32])
      }
    }).pipe(Effect.provide(layer({ apiKey: Option.some(Redacted.make(KEY)) }))))

  it.scopedLive("lets every request through when no key is set", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      expect((yield* Http.get(url, "/api/portfolio/snapshot")).status).toBe(200)
      expect((yield* Http.get(url, "/api/portfolio/snapshot", { "x-api-key": "anything" })).status).toBe(200)
      expect((yield* Http.post(url, "/api/events", tick)).status).toBe(202)
    }).pipe(Effect.provide(layer())))

  it("never matches an empty key, even one configured empty", () => {
    expect(ApiKey.matcher(Redacted.make(""))(Redacted.make(""))).toBe(false)
    expect(ApiKey.matcher(Redacted.make(KEY))(Redacted.make(KEY))).toBe(true)
  })
})
