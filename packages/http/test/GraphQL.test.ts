/**
 * GraphQL on a real listening server in this process (memory adapters): after the seeded
 * session (support/Session) every field answers the same numbers as its REST route — the
 * snapshot, positions, PnL, exposure, drawdown, the equity curve, analytics, heatmap and trades;
 * a 50-deep query, a fragment bomb, a mutation and bad syntax are refused 400 at once; the
 * standard introspection query passes; the schema is printed; the API key is required.
 */
import { describe, expect, it } from "@effect/vitest"
import { getIntrospectionQuery } from "graphql"
import { Effect, Option, Redacted } from "effect"
import * as Http from "./support/Http.js"
import { baseUrl, layer } from "./support/InProcess.js"
import * as Session from "./support/Session.js"

const json = { "content-type": "application/json" }
const gql = (url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) =>
  Http.post(url, "/graphql", { query, ...(variables === undefined ? {} : { variables }) }, { ...json, ...headers })

/** A selection set asking for every field of a REST answer (records as key/value lists; empty lists left out, see {@link asGraphQL}). */
const selectionOf = (value: unknown): string => {
  if (Array.isArray(value)) return value.length === 0 ? "" : selectionOf(value[0])
  if (typeof value !== "object" || value === null) return ""
  return `{ ${Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0)).map(([k, v]) => {
    if (typeof v === "object" && v !== null && !Array.isArray(v) && k.startsWith("exposure_by")) return `${k} { key value }`
    const inner = selectionOf(v)
    return inner === "" ? k : `${k} ${inner}`
  }).join(" ")} }`
}

/** A REST answer as GraphQL shows it: records (`exposure_by_*`) as key/value lists; without its empty lists (nothing to select in them). */
const asGraphQL = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(asGraphQL)
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(Object.entries(value).filter(([, v]) => !(Array.isArray(v) && v.length === 0)).map(([k, v]) => [
    k,
    k.startsWith("exposure_by") ? Object.entries(v as Record<string, unknown>).map(([key, value]) => ({ key, value })) : asGraphQL(v)
  ]))
}

/** Without the times of the answers (`timestamp`, and `to` when it defaults to now). */
const withoutTimestamps = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutTimestamps)
  if (typeof value !== "object" || value === null) return value
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== "timestamp" && k !== "to").map(([k, v]) => [k, withoutTimestamps(v)]))
}

const seed = (url: string) =>
  Http.post(url, "/api/events", Session.events(Session.BASE).map((e) => ({ event_type: e.type, payload: e.payload, source: "test" })))

describe("GraphQL", () => {
  it.scopedLive("answers the same numbers as the REST routes for a seeded session", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      expect((yield* seed(url)).status).toBe(202)
      const until = new Date(Date.now() + 3_600_000).toISOString()
      const routes: ReadonlyArray<readonly [string, string, string]> = [
        ["snapshot", "/api/portfolio/snapshot", ""],
        ["pnl", "/api/portfolio/pnl", ""],
        ["exposure", "/api/portfolio/exposure", ""],
        ["drawdown", "/api/portfolio/drawdown", ""],
        ["net_positions", "/api/portfolio/positions", ""],
        ["equity", `/api/portfolio/equity?resolution=1h&to=${until}`, `(resolution_ms: 3600000, to: "${until}")`],
        ["analytics", "/api/portfolio/analytics?window=all", "(window: \"all\")"],
        ["heatmap", "/api/portfolio/heatmap?by=weekday_hour&window=all", "(by: \"weekday_hour\", window: \"all\")"],
        ["trades", "/api/portfolio/trades?status=closed&limit=2", "(status: \"closed\", limit: 2)"]
      ]
      for (const [field, path, args] of routes) {
        const rest = yield* Http.get(url, path)
        expect(rest.status, path).toBe(200)
        const answer = yield* gql(url, `{ ${field}${args} ${selectionOf(rest.body)} }`)
        expect(answer.status, field).toBe(200)
        expect(answer.body.errors, field).toBeUndefined()
        expect(withoutTimestamps(answer.body.data[field]), field).toEqual(withoutTimestamps(asGraphQL(rest.body)))
      }
      // The figures themselves, as the session computes them by hand.
      const figures = yield* gql(url, "{ snapshot { cash_balance total_equity num_positions } pnl { realized_pnl_total win_rate } positions { trade_id } }")
      expect(figures.body.data.snapshot).toMatchObject({ cash_balance: Session.expected.cash, num_positions: 2 })
      expect(figures.body.data.pnl.realized_pnl_total).toBeCloseTo(Session.expected.realized, 9)
      expect(figures.body.data.positions.map((p: { trade_id: string }) => p.trade_id).sort()).toEqual(["T1", "T4"])
      // An argument out of range is that field's error, the others still answer.
      const partial = yield* gql(url, "{ pnl { realized_pnl_total } trades(limit: 0) { next_cursor } }")
      expect(partial.status).toBe(200)
      expect(partial.body.data.pnl.realized_pnl_total).toBeCloseTo(Session.expected.realized, 9)
      expect(partial.body.errors[0]).toMatchObject({ path: ["trades"], extensions: { code: "bad_request" } })
      expect(partial.body.errors[0].message).toContain("limit")
      const badCursor = yield* gql(url, `{ trades(cursor: "x") { next_cursor } equity(resolution_ms: 5) { resolution_ms } }`)
      expect(badCursor.body.errors.map((e: { path: Array<string> }) => e.path[0]).sort()).toEqual(["equity", "trades"])
    }).pipe(Effect.provide(layer())))

  it.scopedLive("refuses hostile queries with 400 at once: 50 deep, a fragment bomb, too long; and mutations, bad syntax", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const started = performance.now()
      const deep = yield* gql(url, `{ ${"snapshot { positions { ".repeat(25)}symbol${" } }".repeat(25)} }`)
      expect(deep.status).toBe(400)
      expect(deep.body.errors[0].extensions.code).toBe("query_too_deep")
      expect(deep.body.errors[0].message).toMatch(/is 51 levels deep; at most 15/) // 50 nested selections and the leaf

      // Each fragment spreads the next twice: 2^30 fields once expanded.
      const bomb = ["query { ...F0 }", "fragment F0 on Query { ...F1 ...F1 }"]
      for (let i = 1; i < 30; i++) bomb.push(`fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`)
      bomb.push("fragment F30 on Query { pnl { win_rate } }")
      const costly = yield* gql(url, bomb.join("\n"))
      expect(costly.status).toBe(400)
      expect(costly.body.errors[0].extensions.code).toBe("query_too_costly")

      const aliases = yield* gql(url, `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: analytics { window }`).join(" ")} }`)
      expect(aliases.body.errors[0].extensions.code).toBe("query_too_costly")
      const long = yield* gql(url, `{ ${"pnl { win_rate } ".repeat(1_000)} }`)
      expect(long.body.errors[0].extensions.code).toBe("query_too_large")
      const mutation = yield* gql(url, "mutation { snapshot { total_equity } }")
      expect(mutation.status).toBe(400)
      expect(mutation.body.errors[0].extensions.code).toBe("read_only")
      const syntax = yield* gql(url, "{ snapshot { ")
      expect(syntax.status).toBe(400)
      expect(syntax.body.errors[0].extensions.code).toBe("syntax_error")
      const unknown = yield* gql(url, "{ passwords }")
      expect(unknown.status).toBe(400)
      expect(unknown.body.errors[0].extensions.code).toBe("invalid_query")
      expect((yield* Http.post(url, "/graphql", "[1]", json)).status).toBe(400)
      // All of the above, refused before anything ran, in well under a second each.
      expect(performance.now() - started).toBeLessThan(5_000)

      const introspection = yield* gql(url, getIntrospectionQuery())
      expect(introspection.status).toBe(200)
      expect(introspection.body.data.__schema.queryType.name).toBe("Query")
      const variables = yield* gql(url, "query Q($w: String) { performance(window: $w) { window } }", { w: "30d" })
      expect(variables.body.data.performance.window).toBe("30d")
    }).pipe(Effect.provide(layer())))

  it.scopedLive("prints its schema at /graphql/schema, and requires the API key when one is set", () =>
    Effect.gen(function* () {
      const url = yield* baseUrl
      const key = { "x-api-key": "s3cret" }
      const sdl = yield* Http.get(url, "/graphql/schema", key)
      expect(sdl.status).toBe(200)
      expect(sdl.headers.get("content-type")).toContain("text/plain")
      expect(sdl.text).toContain("type Query")
      expect(sdl.text).toContain("snapshot: PortfolioSnapshot\n")
      expect(sdl.text).toContain("exposure_by_symbol: [ExposureBreakdownExposureBySymbolEntry!]!")
      expect((yield* Http.get(url, "/graphql/schema")).status).toBe(401)
      expect((yield* gql(url, "{ pnl { win_rate } }")).status).toBe(401)
      const ok = yield* gql(url, "{ pnl { win_rate } }", undefined, key)
      expect(ok.status).toBe(200)
      expect(ok.body.data.pnl.win_rate).toBe(0)
    }).pipe(Effect.provide(layer({ apiKey: Option.some(Redacted.make("s3cret")) }))))
})
