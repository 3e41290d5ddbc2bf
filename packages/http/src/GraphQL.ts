/**
 * GraphQL (DESIGN.md §6): `POST /graphql` answers read-only queries over the snapshot,
 * positions, PnL, exposure, drawdown, equity curve, trades and analytics with the reference
 * `graphql` package; `GET /graphql/schema` prints the schema (SDL).
 *
 * - **Same answers as REST**: every field resolves by the service call its REST route makes
 *   (`service.snapshot`, `service.analytics.equity`, …), and every type is derived from the
 *   same core schema the route answers (`internal/graphqlTypes`), field for field.
 * - **Bounded**: the query text (10 000 characters, 2 000 tokens), its depth (15) and its cost
 *   (1 000; the history and analytics fields cost 50 each, other fields 1) are checked before
 *   it is validated or run (`internal/graphqlLimits`): a hostile query gets 400 at once.
 * - **Errors**: a request GraphQL refuses (syntax, validation, limits) is 400 with
 *   `{ errors: [{ message, extensions: { code } }] }`; a query that runs is 200 with `data` and
 *   the `errors` of the fields that failed (`cash_unavailable`, `bad_request` for an argument
 *   out of range, `internal` — the cause is in the log).
 *
 * @since 0.2.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import {
  AnalyticsQueries,
  AnalyticsResponse,
  AnalyticsWindow,
  DrawdownHistoryResponse,
  DrawdownMetrics,
  EquityCurveResponse,
  ExposureBreakdown,
  HeatmapResponse,
  NetPosition,
  PerformanceResponse,
  PeriodsResponse,
  PnLBreakdown,
  PortfolioService,
  type PortfolioServiceShape,
  PortfolioSnapshot,
  PositionInfo,
  RiskBucketsResponse,
  TradesPage
} from "@portfolio/core"
import { Cause, Effect, Exit, Option, Runtime, Schema } from "effect"
import {
  execute,
  type GraphQLArgumentConfig,
  GraphQLError,
  type GraphQLFieldConfig,
  GraphQLFloat,
  GraphQLInt,
  GraphQLObjectType,
  GraphQLSchema,
  GraphQLString,
  getNullableType,
  Kind,
  parse,
  printSchema,
  validate
} from "graphql"
import { PortfolioApi } from "./Api.js"
import * as Limits from "./internal/graphqlLimits.js"
import { Deriver } from "./internal/graphqlTypes.js"
import * as RequestBody from "./RequestBody.js"

/** Runs a service call for a resolver: its value, or a `GraphQLError` with a code. */
type Run = <A, E>(effect: Effect.Effect<A, E>) => Promise<A>

/** The weight of the fields that read the store (history, analytics, trades). */
export const HEAVY = 50

const WINDOWS: ReadonlyArray<AnalyticsWindow> = ["30d", "90d", "1y", "all"]

const badArgument = (message: string) => new GraphQLError(message, { extensions: { code: "bad_request" } })

const oneOf = <A extends string>(name: string, allowed: ReadonlyArray<A>, value: unknown): A => {
  if (typeof value === "string" && (allowed as ReadonlyArray<string>).includes(value)) return value as A
  throw badArgument(`${name} must be one of ${allowed.join(", ")}`)
}
const intIn = (name: string, min: number, max: number, value: unknown): number => {
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value
  throw badArgument(`${name} must be an integer from ${min} to ${max}`)
}
const time = (name: string, value: unknown): number | undefined => {
  if (value === undefined || value === null) return undefined
  const ms = typeof value === "string" ? Date.parse(value) : NaN
  if (Number.isFinite(ms)) return ms
  throw badArgument(`${name} must be an ISO 8601 time`)
}

/** A bucket size as the REST route takes it: 1 s to 366 days, in milliseconds. */
const resolution = (value: unknown): number | undefined => {
  if (value === undefined || value === null) return undefined
  if (typeof value === "number" && value >= 1_000 && value <= 366 * 86_400_000) return value
  throw badArgument("resolution_ms must be from 1000 (1 s) to 31622400000 (366 days)")
}

const arg = (type: GraphQLArgumentConfig["type"], description: string, defaultValue?: unknown): GraphQLArgumentConfig =>
  defaultValue === undefined ? { type, description } : { type, description, defaultValue }
const windowArg = arg(GraphQLString, "30d, 90d, 1y or all", "all")

/** The schema over `service`; `run` runs each service call. */
export const makeSchema = (service: PortfolioServiceShape, run: Run): GraphQLSchema => {
  const types = new Deriver()
  const field = <A>(
    schema: Schema.Schema<A, any>,
    name: string,
    description: string,
    resolve: (args: Record<string, unknown>) => Effect.Effect<unknown, unknown>,
    args: Record<string, GraphQLArgumentConfig> = {}
  ): GraphQLFieldConfig<unknown, unknown> => ({
    // Nullable at the root: a field that fails is null with its error, the others still answer.
    type: getNullableType(types.output(schema, name)),
    description,
    args,
    resolve: (_root, a: Record<string, unknown>) => run(resolve(a))
  })
  const q = service.analytics
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: "Query",
      description: "Read-only queries, answered as the REST routes of the same name answer.",
      fields: {
        snapshot: field(PortfolioSnapshot, "snapshot", "GET /api/portfolio/snapshot", () => service.snapshot),
        positions: field(Schema.Array(PositionInfo), "positions", "The open positions, one per trade (the snapshot's positions)", () => Effect.map(service.snapshot, (s) => s.positions)),
        net_positions: field(Schema.Array(NetPosition), "net_positions", "GET /api/portfolio/positions", () => service.netPositions),
        pnl: field(PnLBreakdown, "pnl", "GET /api/portfolio/pnl", () => service.pnl),
        exposure: field(ExposureBreakdown, "exposure", "GET /api/portfolio/exposure (records as key/value lists)", () => service.exposure),
        drawdown: field(DrawdownMetrics, "drawdown", "GET /api/portfolio/drawdown", () => service.drawdown),
        equity: field(EquityCurveResponse, "equity", "GET /api/portfolio/equity", (a) => Effect.suspend(() => q.equity({ from: time("from", a["from"]), to: time("to", a["to"]), resolutionMs: resolution(a["resolution_ms"]) })), {
          from: arg(GraphQLString, "start, inclusive (ISO 8601; default the first sample)"),
          to: arg(GraphQLString, "end, exclusive (ISO 8601; default now)"),
          resolution_ms: arg(GraphQLFloat, "least bucket size in milliseconds, 1 s to 366 days (coarsened to keep ≤ 2 000 buckets)")
        }),
        drawdown_history: field(DrawdownHistoryResponse, "drawdown_history", "GET /api/portfolio/drawdown/history", (a) => Effect.suspend(() => q.drawdownHistory(oneOf("window", WINDOWS, a["window"]), intIn("worst", 1, 100, a["worst"]))), {
          window: windowArg,
          worst: arg(GraphQLInt, "how many of the deepest drawdowns, 1 to 100", 5)
        }),
        analytics: field(AnalyticsResponse, "analytics", "GET /api/portfolio/analytics", (a) => Effect.suspend(() => q.analytics(oneOf("window", WINDOWS, a["window"]), a["periods_per_year"] as number)), {
          window: windowArg,
          periods_per_year: arg(GraphQLFloat, "annualization of daily returns", 365)
        }),
        performance: field(PerformanceResponse, "performance", "GET /api/portfolio/performance", (a) => Effect.suspend(() => q.performance(oneOf("window", WINDOWS, a["window"]))), { window: windowArg }),
        periods: field(PeriodsResponse, "periods", "GET /api/portfolio/periods", (a) => Effect.suspend(() => q.periods(oneOf("unit", ["day", "week", "month"], a["unit"]), intIn("count", 1, 1_000, a["count"]))), {
          unit: arg(GraphQLString, "day, week or month", "day"),
          count: arg(GraphQLInt, "how many of the latest periods, 1 to 1 000", 30)
        }),
        heatmap: field(HeatmapResponse, "heatmap", "GET /api/portfolio/heatmap", (a) => Effect.suspend(() => q.heatmap(oneOf("by", ["weekday_hour", "symbol_month"], a["by"]), oneOf("window", WINDOWS, a["window"]))), {
          by: arg(GraphQLString, "weekday_hour or symbol_month", "weekday_hour"),
          window: windowArg
        }),
        risk_buckets: field(RiskBucketsResponse, "risk_buckets", "GET /api/portfolio/risk-buckets", () => q.riskBuckets),
        trades: field(TradesPage, "trades", "GET /api/portfolio/trades", (a) =>
          Effect.suspend(() => {
            const cursor = a["cursor"] === undefined || a["cursor"] === null ? undefined : AnalyticsQueries.decodeCursor(String(a["cursor"]))
            if (cursor === null) throw badArgument("cursor must be the next_cursor of a previous page")
            return q.trades({
              status: oneOf("status", ["open", "closed"], a["status"]),
              from: time("from", a["from"]),
              to: time("to", a["to"]),
              symbol: (a["symbol"] as string | null | undefined) ?? undefined,
              limit: intIn("limit", 1, 1_000, a["limit"]),
              cursor
            })
          }), {
          status: arg(GraphQLString, "open or closed", "closed"),
          from: arg(GraphQLString, "closes at or after (ISO 8601)"),
          to: arg(GraphQLString, "closes before (ISO 8601)"),
          symbol: arg(GraphQLString, "only this symbol"),
          limit: arg(GraphQLInt, "page size, 1 to 1 000", 100),
          cursor: arg(GraphQLString, "next_cursor of the previous page")
        })
      }
    })
  })
}

/** The fields that read the store, with their weight in a query's cost. */
export const WEIGHTS: Readonly<Record<string, number>> = Object.fromEntries(
  ["equity", "drawdown_history", "analytics", "performance", "periods", "heatmap", "risk_buckets", "trades"].map((f) => [f, HEAVY])
)

/** A GraphQL refusal: 400 with `{ errors }`. */
const refused = (code: string, messages: ReadonlyArray<string>) =>
  HttpServerResponse.unsafeJson({ errors: messages.map((message) => ({ message, extensions: { code } })) }, { status: 400 })

/** The largest GraphQL request body: 64 KiB. */
export const MAX_BODY_BYTES = 64 * 1024

/** Answers one GraphQL request body (already parsed JSON): see the module doc. */
export const answer = (schema: GraphQLSchema, body: unknown, limits: Limits.Limits = Limits.defaults): Promise<HttpServerResponse.HttpServerResponse> | HttpServerResponse.HttpServerResponse => {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return refused("bad_request", ["the body must be a JSON object {query, variables?, operationName?}"])
  const { query, variables, operationName } = body as Record<string, unknown>
  if (typeof query !== "string") return refused("bad_request", ["query must be a string"])
  if (variables !== undefined && variables !== null && (typeof variables !== "object" || Array.isArray(variables))) return refused("bad_request", ["variables must be an object"])
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") return refused("bad_request", ["operationName must be a string"])
  if (query.length > limits.maxLength) return refused("query_too_large", [`the query has ${query.length} characters; at most ${limits.maxLength}`])
  let document
  try {
    document = parse(query, { maxTokens: limits.maxTokens })
  } catch (error) {
    return refused("syntax_error", [(error as Error).message])
  }
  if (document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && d.operation !== "query")) {
    return refused("read_only", ["only queries: this GraphQL API is read-only"])
  }
  const { depth, cost } = Limits.measure(document, WEIGHTS, operationName as string | null | undefined)
  if (depth > limits.maxDepth) return refused("query_too_deep", [`the query is ${depth} levels deep; at most ${limits.maxDepth}`])
  if (cost > limits.maxCost) return refused("query_too_costly", [`the query costs ${cost}; at most ${limits.maxCost} (each field 1, each history or analytics field ${HEAVY})`])
  const invalid = validate(schema, document)
  if (invalid.length > 0) return refused("invalid_query", invalid.map((e) => e.message))
  return Promise.resolve(
    execute({ schema, document, variableValues: (variables ?? undefined) as Record<string, unknown> | undefined, operationName: (operationName ?? undefined) as string | undefined })
  ).then((result) =>
    // Variables of the wrong type are refused before any field runs: no data at all.
    HttpServerResponse.unsafeJson(result, { status: result.data === undefined && result.errors !== undefined ? 400 : 200 })
  )
}

/** The GraphQL routes (`GraphQLApi`) on the service in context. */
export const handlers = HttpApiBuilder.group(PortfolioApi, "graphql", (h) =>
  Effect.gen(function* () {
    const service = yield* PortfolioService
    const runtime = yield* Effect.runtime<never>()
    const run: Run = (effect) =>
      Runtime.runPromiseExit(runtime)(effect).then((exit) => {
        if (Exit.isSuccess(exit)) return exit.value
        const failure = Cause.failureOption(exit.cause)
        const error = Option.isSome(failure) ? (failure.value as { _tag?: string; message?: string }) : undefined
        if (error?._tag === "CashUnavailable") throw new GraphQLError(`${error.message ?? "no cash balance yet"}; retry later`, { extensions: { code: "cash_unavailable" } })
        if (error instanceof GraphQLError) throw error
        const defect = Cause.squash(exit.cause)
        if (defect instanceof GraphQLError) throw defect
        Runtime.runFork(runtime)(Effect.logError("graphql field failed", exit.cause))
        throw new GraphQLError("internal error; the cause is in the service log", { extensions: { code: "internal" } })
      })
    const schema = makeSchema(service, run)
    const sdl = printSchema(schema)
    return h
      .handleRaw("graphql", ({ request }) =>
        Effect.gen(function* () {
          const body = yield* HttpIncomingMessage.withMaxBodySize(Option.some(MAX_BODY_BYTES))(RequestBody.json(request))
          const answered = answer(schema, body)
          return answered instanceof Promise ? yield* Effect.promise(() => answered) : answered
        })
      )
      .handle("graphqlSchema", () => Effect.succeed(HttpServerResponse.text(sdl, { contentType: "text/plain; charset=utf-8" })))
  })
)
