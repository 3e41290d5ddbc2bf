/**
 * The edge around the API, through the real server (in this process, memory adapters): CORS
 * (the platform's middleware) for `*`, for listed origins and when off, on answers of the
 * API and of the edge alike; preflights answered without the key; which methods each path
 * has (how 405 is told from 404), and both answered in JSON.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { PortfolioApi } from "../src/Api.js"
import * as HttpEdge from "../src/HttpEdge.js"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"

const preflight = (url: string, origin: string) =>
  Http.request(url, "/api/events", {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "x-api-key, content-type" }
  })

describe("HttpEdge", () => {
  it("compares origins without case", () => {
    const allows = HttpEdge.allowsOrigin(["https://a.example", "http://localhost:3000"])
    expect(allows("https://a.example")).toBe(true)
    expect(allows("HTTPS://A.EXAMPLE")).toBe(true)
    expect(allows("http://localhost:3000")).toBe(true)
    expect(allows("https://b.example")).toBe(false)
    expect(allows("http://localhost:3001")).toBe(false)
    expect(allows(undefined)).toBe(false)
  })

  it("knows the methods of every path of the API, and of the extra routes", () => {
    const routes = HttpEdge.routesOf(PortfolioApi, { "/docs": ["GET"] })
    expect(routes.get("/health")).toEqual(["GET"])
    expect(routes.get("/api/events")).toEqual(["POST"])
    expect(routes.get("/api/events/rejected")).toEqual(["GET"])
    expect(routes.get("/api/portfolio/snapshot")).toEqual(["GET"])
    expect(routes.get("/docs")).toEqual(["GET"])
    expect(routes.has("/api/portfolio")).toBe(false)
  })

  it.scopedLive("lets listed origins read, on every answer, and answers their preflights without the key", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const key = { "x-api-key": "k3y" }
      const listed = yield* Http.get(url, "/api/portfolio/snapshot", { ...key, origin: "https://b.example" })
      expect(listed.status).toBe(200)
      expect(listed.headers.get("access-control-allow-origin")).toBe("https://b.example")
      expect(listed.headers.get("vary")).toContain("Origin")
      const foreign = yield* Http.get(url, "/api/portfolio/snapshot", { ...key, origin: "https://evil.example" })
      expect(foreign.status).toBe(200)
      expect(foreign.headers.get("access-control-allow-origin")).toBeNull()

      // The edge's own answers and the key's 401 carry the headers too, so a browser can read them.
      const notFound = yield* Http.get(url, "/nothing", { origin: "https://a.example" })
      expect(notFound.status).toBe(404)
      expect(notFound.body.error).toBe("not_found")
      expect(notFound.headers.get("access-control-allow-origin")).toBe("https://a.example")
      const unauthorized = yield* Http.get(url, "/api/portfolio/pnl", { origin: "https://a.example" })
      expect(unauthorized.status).toBe(401)
      expect(unauthorized.headers.get("access-control-allow-origin")).toBe("https://a.example")

      const answered = yield* preflight(url, "https://a.example")
      expect(answered.status).toBe(204)
      expect(answered.headers.get("access-control-allow-origin")).toBe("https://a.example")
      expect(answered.headers.get("access-control-allow-methods")).toContain("POST")
      expect(answered.headers.get("access-control-allow-headers")?.split(",")).toEqual(["Content-Type", "X-API-Key", "Authorization"])
      expect(answered.headers.get("access-control-max-age")).toBe("600")
      expect((yield* preflight(url, "https://evil.example")).headers.get("access-control-allow-origin")).toBeNull()
    }).pipe(Effect.provide(layer({ corsOrigins: ["https://a.example", "https://b.example"], apiKey: Option.some(Redacted.make("k3y")) }))))

  it.scopedLive("lets any origin read with *", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const answer = yield* Http.get(url, "/api/portfolio/snapshot", { origin: "https://any.example" })
      expect(answer.headers.get("access-control-allow-origin")).toBe("*")
      expect((yield* preflight(url, "https://any.example")).status).toBe(204)
    }).pipe(Effect.provide(layer({ corsOrigins: ["*"] }))))

  it.scopedLive("adds nothing without origins: OPTIONS is a method like another, 405 in JSON", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const answer = yield* Http.get(url, "/api/portfolio/snapshot", { origin: "https://a.example" })
      expect(answer.status).toBe(200)
      expect(answer.headers.get("access-control-allow-origin")).toBeNull()
      const options = yield* preflight(url, "https://a.example")
      expect(options.status).toBe(405)
      expect(options.headers.get("allow")).toBe("POST")
      expect(options.body).toEqual({ error: "method_not_allowed", message: "OPTIONS is not allowed on /api/events; allowed: POST", details: { allowed: ["POST"] } })
    }).pipe(Effect.provide(layer())))
})
