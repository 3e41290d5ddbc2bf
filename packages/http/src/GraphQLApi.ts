/**
 * The GraphQL routes as the API declares them (OpenAPI, request log, API key); `GraphQL`
 * implements them.
 *
 * | method | path | answer |
 * | --- | --- | --- |
 * | POST | `/graphql` | `{ query, variables?, operationName? }` → `{ data, errors? }`; 400 `{ errors }` when refused |
 * | GET | `/graphql/schema` | the schema in SDL (text) |
 *
 * @since 0.2.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { BadRequestWire, PayloadTooLargeWire, UnsupportedMediaTypeWire } from "./ApiError.js"
import { ApiKeyAuth } from "./ApiKey.js"

/** A GraphQL request (GraphQL over HTTP, JSON). */
export const GraphQLRequest = Schema.Struct({
  query: Schema.String.annotations({ description: "at most 10 000 characters and 2 000 tokens" }),
  variables: Schema.optional(Schema.NullOr(Schema.Record({ key: Schema.String, value: Schema.Unknown }))),
  operationName: Schema.optional(Schema.NullOr(Schema.String))
}).annotations({ identifier: "GraphQLRequest" })

const GraphQLErrorItem = Schema.Struct({
  message: Schema.String,
  path: Schema.optional(Schema.Array(Schema.Union(Schema.String, Schema.Number))),
  locations: Schema.optional(Schema.Array(Schema.Struct({ line: Schema.Number, column: Schema.Number }))),
  extensions: Schema.optional(Schema.Struct({ code: Schema.String }).annotations({
    description: "code: cash_unavailable, bad_request (an argument out of range), internal; for refusals syntax_error, invalid_query, query_too_large, query_too_deep, query_too_costly, read_only"
  }))
}).annotations({ identifier: "GraphQLError" })

/** What a query that ran answers: its data, and the errors of the fields that failed. */
export const GraphQLResult = Schema.Struct({
  data: Schema.NullOr(Schema.Unknown),
  errors: Schema.optional(Schema.Array(GraphQLErrorItem))
}).annotations({ identifier: "GraphQLResult" })

/** What a refused query answers (400): why. */
export const GraphQLRefusal = Schema.Struct({ errors: Schema.Array(GraphQLErrorItem) }).annotations({
  identifier: "GraphQLRefusal",
  description: "The query was refused before it ran: not valid GraphQL, not valid against the schema, not a query, longer than 10 000 characters, deeper than 15 levels or costlier than 1 000."
})

/** The GraphQL routes. Requires the API key when one is set. */
export class GraphQLGroup extends HttpApiGroup.make("graphql", { topLevel: true })
  .add(
    HttpApiEndpoint.post("graphql", "/graphql")
      .setPayload(GraphQLRequest)
      .addSuccess(GraphQLResult)
      .addError(GraphQLRefusal, { status: 400 })
      .addError(BadRequestWire)
      .addError(PayloadTooLargeWire)
      .addError(UnsupportedMediaTypeWire)
      .annotate(OpenApi.Summary, "Read-only GraphQL queries over the snapshot, positions, PnL, exposure, drawdown, equity, trades and analytics")
      .annotate(
        OpenApi.Description,
        "Each field answers as the REST route of the same name (the same service call, the same fields). The schema is at GET /graphql/schema. Query depth (15), cost (1 000; history and analytics fields 50 each) and size are checked before the query runs: a query past them is 400. Bodies up to 64 KiB."
      )
  )
  .add(
    HttpApiEndpoint.get("graphqlSchema", "/graphql/schema")
      .addSuccess(HttpApiSchema.Text({ contentType: "text/plain" }).annotations({ identifier: "GraphQLSchema", description: "The schema in GraphQL's schema definition language" }))
      .annotate(OpenApi.Summary, "The GraphQL schema (SDL)")
  )
  .middleware(ApiKeyAuth)
  .annotate(OpenApi.Title, "graphql") {}
