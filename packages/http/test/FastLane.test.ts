/**
 * The fast lane in front of the API, through the real server (in this process, memory
 * adapters): the queries' cached bytes, `ETag`/`If-None-Match` → 304, negotiated compression
 * (checked on the raw bytes), `HEAD`; the lane leaving to the platform what it does not answer
 * exactly alike (no key → 401, a cross-origin request while CORS is on), and the events route
 * answering the same through either.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { request as httpRequest } from "node:http"
import { brotliDecompressSync, gunzipSync } from "node:zlib"
import * as FastLane from "../src/FastLane.js"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"

interface Bytes {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: Buffer
}

/** A request whose answer is kept as raw bytes (`fetch` would decompress them). */
const bytes = (url: string, path: string, headers: Record<string, string> = {}, method = "GET") =>
  Effect.async<Bytes, Error>((resume) => {
    const { port } = new URL(url)
    const req = httpRequest({ host: "127.0.0.1", port: Number(port), path, method, headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end()
  })

const opens = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    event_type: "trade.opened",
    payload: { trade_id: `F${i}`, symbol: `S${i % 7}USDT`, side: i % 2 === 0 ? "LONG" : "SHORT", entry_price: 100 + i, quantity: 1 }
  }))

describe("FastLane", () => {
  it("negotiates br before gzip, honouring q=0", () => {
    expect(FastLane.negotiate(undefined)).toBeUndefined()
    expect(FastLane.negotiate("identity")).toBeUndefined()
    expect(FastLane.negotiate("gzip, deflate")).toBe("gzip")
    expect(FastLane.negotiate("gzip, deflate, br")).toBe("br")
    expect(FastLane.negotiate("br;q=0, gzip;q=0.5")).toBe("gzip")
    expect(FastLane.negotiate("GZIP;q=0")).toBeUndefined()
    expect(FastLane.negotiate("*")).toBe("br")
  })

  it("matches If-None-Match lists, weak tags and *", () => {
    expect(FastLane.matchesEtag(undefined, '"a"')).toBe(false)
    expect(FastLane.matchesEtag('"a"', '"a"')).toBe(true)
    expect(FastLane.matchesEtag('"b", W/"a"', '"a"')).toBe(true)
    expect(FastLane.matchesEtag("*", '"a"')).toBe(true)
    expect(FastLane.matchesEtag('"ab"', '"a"')).toBe(false)
  })

  it.scopedLive("answers the queries from one encoding per state, with ETag, 304 and HEAD", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const first = yield* bytes(url, "/api/portfolio/snapshot")
      expect(first.status).toBe(200)
      expect(first.headers["content-type"]).toBe("application/json")
      expect(first.headers["cache-control"]).toBe("no-cache")
      const etag = first.headers["etag"] as string
      expect(etag).toMatch(/^"[0-9a-z]+-[0-9a-z]+"$/)
      expect(JSON.parse(first.body.toString()).num_positions).toBe(0)

      // Nothing changed: the same bytes under the same tag, and 304 to a client that has them.
      const again = yield* bytes(url, "/api/portfolio/snapshot")
      expect(again.headers["etag"]).toBe(etag)
      expect(again.body.equals(first.body)).toBe(true)
      const notModified = yield* bytes(url, "/api/portfolio/snapshot", { "if-none-match": etag })
      expect(notModified.status).toBe(304)
      expect(notModified.body.length).toBe(0)
      expect(notModified.headers["etag"]).toBe(etag)

      // HEAD: the headers of GET, no body.
      const head = yield* bytes(url, "/api/portfolio/snapshot", {}, "HEAD")
      expect(head.status).toBe(200)
      expect(head.body.length).toBe(0)
      expect(Number(head.headers["content-length"])).toBe(first.body.length)

      // An event changes the state: a new tag, the old one is no longer current.
      const posted = yield* Http.post(url, "/api/events", opens(3))
      expect(posted.status).toBe(202)
      const changed = yield* bytes(url, "/api/portfolio/snapshot", { "if-none-match": etag })
      expect(changed.status).toBe(200)
      expect(changed.headers["etag"]).not.toBe(etag)
      expect(JSON.parse(changed.body.toString()).num_positions).toBe(3)

      // Every query route is in the lane, each with its own body.
      for (const path of Object.keys(FastLane.QUERIES)) {
        const a = yield* bytes(url, path)
        expect(a.status, path).toBe(200)
        expect(a.headers["etag"], path).toBeDefined()
        const viaFetch = yield* Http.get(url, path)
        expect(viaFetch.body, path).toEqual(JSON.parse(a.body.toString()))
      }
      const pnl = yield* Http.get(url, "/api/portfolio/pnl")
      expect(pnl.body).toHaveProperty("realized_pnl_today")
      const positions = yield* Http.get(url, "/api/portfolio/positions")
      expect(Array.isArray(positions.body)).toBe(true)
    }).pipe(Effect.provide(layer()))
  )

  it.scopedLive("compresses large bodies as the client asks, and leaves small ones alone", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const small = yield* bytes(url, "/api/portfolio/pnl", { "accept-encoding": "gzip, br" })
      expect(small.headers["content-encoding"]).toBeUndefined()

      yield* Http.post(url, "/api/events", opens(40))
      const plain = yield* bytes(url, "/api/portfolio/snapshot")
      expect(plain.body.length).toBeGreaterThan(1024)
      expect(plain.headers["content-encoding"]).toBeUndefined()
      expect(plain.headers["vary"]).toBe("Accept-Encoding")

      const gz = yield* bytes(url, "/api/portfolio/snapshot", { "accept-encoding": "gzip" })
      expect(gz.headers["content-encoding"]).toBe("gzip")
      expect(gz.body.length).toBeLessThan(plain.body.length)
      expect(gunzipSync(gz.body).equals(plain.body)).toBe(true)
      expect(gz.headers["etag"]).toBe(plain.headers["etag"])

      const br = yield* bytes(url, "/api/portfolio/snapshot", { "accept-encoding": "gzip, deflate, br" })
      expect(br.headers["content-encoding"]).toBe("br")
      expect(brotliDecompressSync(br.body).equals(plain.body)).toBe(true)
      expect(Number(br.headers["content-length"])).toBe(br.body.length)
    }).pipe(Effect.provide(layer()))
  )

  it.scopedLive("leaves a request without the key to the API (401), and serves one with it", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const missing = yield* Http.get(url, "/api/portfolio/snapshot")
      expect(missing.status).toBe(401)
      expect(missing.body.error).toBe("unauthorized")
      const wrong = yield* Http.get(url, "/api/portfolio/snapshot", { "x-api-key": "nope" })
      expect(wrong.status).toBe(401)
      const post = yield* Http.post(url, "/api/events", opens(1))
      expect(post.status).toBe(401)

      const byHeader = yield* bytes(url, "/api/portfolio/snapshot", { "x-api-key": "s3cret" })
      expect(byHeader.status).toBe(200)
      expect(byHeader.headers["etag"]).toBeDefined()
      const byBearer = yield* bytes(url, "/api/portfolio/snapshot", { authorization: "Bearer s3cret" })
      expect(byBearer.status).toBe(200)
      const posted = yield* Http.post(url, "/api/events", opens(1), { "content-type": "application/json", "x-api-key": "s3cret" })
      expect(posted.status).toBe(202)
      expect(posted.body.applied).toBe(1)
    }).pipe(Effect.provide(layer({ apiKey: Option.some(Redacted.make("s3cret")) })))
  )

  it.scopedLive("answers events the same through the lane and through the API (a cross-origin request takes the API)", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const cross = { "content-type": "application/json", origin: "https://dash.example" }
      const same = { "content-type": "application/json" }
      const invalid = { event_type: "trade.opened", payload: { trade_id: "X", symbol: "BTCUSDT", side: "UP", entry_price: 1, quantity: 1 } }
      for (const [name, body] of [["invalid", invalid], ["array", [opens(1)[0], invalid]], ["not JSON", "{nope"]] as const) {
        const viaApi = yield* Http.post(url, "/api/events", body, cross)
        const viaLane = yield* Http.post(url, "/api/events", body, same)
        expect(viaApi.headers.get("access-control-allow-origin"), name).toBe("https://dash.example")
        expect(viaLane.headers.get("access-control-allow-origin"), name).toBeNull()
        expect(viaLane.status, name).toBe(viaApi.status)
        // The second of two equal arrays answers duplicate where the first applied: compare the shape.
        expect(Object.keys(viaLane.body).sort(), name).toEqual(Object.keys(viaApi.body).sort())
        expect(viaLane.body.error, name).toBe(viaApi.body.error)
      }
      // Both paths count refused bodies in one place.
      const health = yield* Http.get(url, "/health")
      expect(health.body.events.rejected["http.body"]).toBe(2)
    }).pipe(Effect.provide(layer({ corsOrigins: ["https://dash.example"] })))
  )

  it.scopedLive("offers each request to the lane first, and stops once uninstalled", () =>
    Effect.gen(function* () {
      const { createServer } = yield* Effect.promise(() => import("node:http"))
      const server = createServer()
      let taken = 0
      const uninstall = FastLane.install(server, () => {
        taken++
        return false
      })
      server.emit("request", {} as never, {} as never)
      expect(taken).toBe(1)
      uninstall()
      expect(server.emit).toBe(Object.getPrototypeOf(server).emit)
      expect(taken).toBe(1)
    })
  )
})
