/**
 * The API definition as served: `/openapi.json` is an OpenAPI 3 document generated from the
 * same definition the server implements — every path, every status the handlers send, every
 * reference resolved — and `/docs` is a browsable page of it. The server runs in this process
 * on a free port of 127.0.0.1 (memory adapters).
 */
import { HttpApi, OpenApi } from "@effect/platform"
import { PortfolioLive } from "@portfolio/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { type IncomingHttpHeaders, request } from "node:http"
import { brotliDecompressSync, gunzipSync } from "node:zlib"
import { PortfolioApi } from "../src/Api.js"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"

const ServerLive = layer()

/** Every `$ref` in `value`. */
const refsOf = (value: unknown, out: Array<string> = []): Array<string> => {
  if (Array.isArray(value)) value.forEach((v) => refsOf(v, out))
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string") out.push(v)
      else refsOf(v, out)
    }
  }
  return out
}

const apiRoutes = (): Array<string> => {
  const routes: Array<string> = []
  HttpApi.reflect(PortfolioApi, { onGroup: () => {}, onEndpoint: ({ endpoint }) => routes.push(`${endpoint.method} ${endpoint.path.replace(/:(\w+)/g, "{$1}")}`) })
  return routes.sort()
}

describe("Api", () => {
  it.scopedLive("serves an OpenAPI 3 document of every endpoint, with every reference resolved", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const answer = yield* Http.get(url, "/openapi.json")
      expect(answer.status).toBe(200)
      const spec = answer.body
      expect(spec).toEqual(JSON.parse(JSON.stringify(OpenApi.fromApi(PortfolioApi))))
      expect(spec.openapi).toMatch(/^3\.\d+\.\d+$/)
      expect(spec.info).toMatchObject({ title: "Portfolio Intelligence", version: PortfolioLive.VERSION })

      const listed = Object.entries(spec.paths as Record<string, Record<string, unknown>>)
        .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
        .sort()
      expect(listed).toEqual(apiRoutes())
      expect(listed).toEqual([
        "GET /api/events/rejected",
        "GET /api/portfolio/analytics",
        "GET /api/portfolio/correlation",
        "GET /api/portfolio/drawdown",
        "GET /api/portfolio/drawdown/history",
        "GET /api/portfolio/equity",
        "GET /api/portfolio/export/{file}",
        "GET /api/portfolio/exposure",
        "GET /api/portfolio/heatmap",
        "GET /api/portfolio/performance",
        "GET /api/portfolio/periods",
        "GET /api/portfolio/pnl",
        "GET /api/portfolio/positions",
        "GET /api/portfolio/report.html",
        "GET /api/portfolio/report.pdf",
        "GET /api/portfolio/risk-buckets",
        "GET /api/portfolio/snapshot",
        "GET /api/portfolio/stream",
        "GET /api/portfolio/trades",
        "GET /graphql/schema",
        "GET /health",
        "GET /metrics",
        "GET /ws",
        "POST /api/events",
        "POST /graphql"
      ])

      const operations = Object.values(spec.paths as Record<string, Record<string, any>>).flatMap((ops) => Object.values(ops))
      const ids = operations.map((op) => op.operationId)
      expect(new Set(ids).size).toBe(ids.length)
      for (const op of operations) {
        expect(Object.keys(op.responses).length).toBeGreaterThan(0)
        for (const [status, response] of Object.entries(op.responses as Record<string, any>)) {
          expect(status).toMatch(/^[1-5]\d\d$/)
          expect(typeof response.description).toBe("string")
          // JSON everywhere but the push routes' event stream and WebSocket upgrade, the GraphQL schema's text, the metrics, the exports (CSV) and the report (HTML, PDF).
          if (status === "101") expect(response.content).toBeUndefined()
          else expect((response.content?.["application/json"] ?? response.content?.["text/event-stream"] ?? response.content?.["text/plain"] ?? response.content?.["text/plain; version=0.0.4; charset=utf-8"] ?? response.content?.["text/csv"] ?? response.content?.["text/html"] ?? response.content?.["application/pdf"])?.schema).toBeDefined()
        }
      }
      for (const ref of refsOf(spec)) {
        expect(ref).toMatch(/^#\/components\/schemas\//)
        expect(spec.components.schemas[ref.slice("#/components/schemas/".length)], ref).toBeDefined()
      }
      expect(JSON.stringify(spec)).not.toContain("HttpApiDecodeError")

      const paths = spec.paths
      expect(paths["/api/portfolio/snapshot"].get.responses["200"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/PortfolioSnapshot" })
      expect(paths["/health"].get.responses["503"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ServiceHealth" })
      expect(paths["/health"].get.security).toEqual([])
      expect(paths["/api/portfolio/pnl"].get.security).toEqual([{ bearer: [] }, { apiKey: [] }])
      // The push routes also take the key as ?token= (browsers' EventSource and WebSocket send no headers).
      expect(paths["/api/portfolio/stream"].get.security).toEqual([{ bearer: [] }, { apiKey: [] }, { token: [] }])
      expect(paths["/api/portfolio/stream"].get.responses["200"].content["text/event-stream"].schema).toEqual({ $ref: "#/components/schemas/EventStream" })
      expect(Object.keys(paths["/ws"].get.responses).sort()).toEqual(["101", "400", "401", "403", "426", "500"])
      const ingest = paths["/api/events"].post
      // One envelope or an array of them; answered an IngestResult or an IngestBatchResult.
      expect(ingest.requestBody.content["application/json"].schema).toEqual({
        anyOf: [{ $ref: "#/components/schemas/EnvelopeInput" }, { $ref: "#/components/schemas/EnvelopeBatch" }]
      })
      expect(Object.keys(ingest.responses).sort()).toEqual(["202", "400", "401", "413", "415", "422", "500", "503"])
      expect(ingest.responses["202"].content["application/json"].schema).toEqual({
        anyOf: [{ $ref: "#/components/schemas/IngestResult" }, { $ref: "#/components/schemas/IngestBatchResult" }]
      })
      expect(spec.components.schemas.EnvelopeBatch).toMatchObject({ type: "array", maxItems: 10_000, items: { $ref: "#/components/schemas/EnvelopeInput" } })
      expect(spec.components.schemas.IngestBatchResult.required).toEqual(["applied", "duplicate", "ignored", "parked", "rejected", "results"])
      expect(spec.components.schemas.IngestResult.properties.status.enum).toEqual(["applied", "duplicate", "ignored", "parked", "rejected"])
      expect(spec.components.securitySchemes).toMatchObject({
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        bearer: { type: "http", scheme: "bearer" }
      })
      expect(spec.components.schemas.PortfolioSnapshot.required).toEqual(
        expect.arrayContaining(["total_equity", "cash_balance", "total_exposure", "num_positions", "positions", "unrealized_pnl", "realized_pnl_today", "daily_pnl", "daily_drawdown_pct", "timestamp"])
      )
      expect(spec.components.schemas.BadRequest).toMatchObject({ required: ["error", "message"], properties: { error: { enum: ["bad_request"] } } })
    }).pipe(Effect.provide(ServerLive)))

  it.scopedLive("serves a browsable page of the document at /docs", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const docs = yield* Http.get(url, "/docs")
      expect(docs.status).toBe(200)
      expect(docs.headers.get("content-type")).toContain("text/html")
      expect(docs.text).toMatch(/^<!DOCTYPE html>/)
      expect(docs.text).toContain("SwaggerUIBundle")
      expect(docs.text).toContain("/api/portfolio/snapshot")
    }).pipe(Effect.provide(ServerLive)))

  it.scopedLive("serves /docs and /openapi.json compressed when asked (br, else gzip), tagged, and 304 on a match", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      for (const path of ["/docs", "/openapi.json"]) {
        const plain = yield* raw(url, path, { "accept-encoding": "identity" })
        expect(plain.status).toBe(200)
        expect(plain.headers["content-encoding"]).toBeUndefined()
        expect(plain.headers["vary"]).toBe("Accept-Encoding")
        const etag = plain.headers["etag"] as string
        expect(etag).toMatch(/^"[\w-]{22}"$/)

        const br = yield* raw(url, path, { "accept-encoding": "gzip, deflate, br" })
        expect(br.headers["content-encoding"]).toBe("br")
        expect(br.headers["etag"]).toBe(etag)
        expect(Buffer.compare(brotliDecompressSync(br.body), plain.body)).toBe(0)
        expect(br.body.length).toBeLessThan(plain.body.length / 2)

        const gz = yield* raw(url, path, { "accept-encoding": "gzip" })
        expect(gz.headers["content-encoding"]).toBe("gzip")
        expect(Buffer.compare(gunzipSync(gz.body), plain.body)).toBe(0)

        const again = yield* raw(url, path, { "accept-encoding": "br", "if-none-match": etag })
        expect(again.status).toBe(304)
        expect(again.body.length).toBe(0)
      }
      // The page as a browser reads it: 1.9 MB uncompressed, a fraction of it on the wire.
      const page = yield* raw(url, "/docs", { "accept-encoding": "identity" })
      expect(page.body.length).toBeGreaterThan(1_000_000)
    }).pipe(Effect.provide(ServerLive)))
})

/** A GET with `headers` on node:http, the body as sent (not decoded). */
const raw = (url: string, path: string, headers: Record<string, string>) =>
  Effect.async<{ status: number; headers: IncomingHttpHeaders; body: Buffer }, Error>((resume) => {
    const req = request(new URL(path, url), { headers }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) })))
    })
    req.on("error", (e) => resume(Effect.fail(e)))
    req.end()
  })

