/**
 * The push routes as the API declares them (so that they are in `/openapi.json`, the request
 * log and the API key's care like every other route); `Push` implements them.
 *
 * | method | path | answer |
 * | --- | --- | --- |
 * | GET | `/api/portfolio/stream` | Server-Sent Events: the published events (`types=` filter, `Last-Event-ID` resume, heartbeats) |
 * | GET | `/ws` | WebSocket (upgrade): the same events as JSON messages; without an upgrade 426 |
 *
 * The API key (when `PORTFOLIO_API_KEY` is set) is accepted as `X-API-Key`, as
 * `Authorization: Bearer`, or as the query parameter `token` — browsers' `EventSource` and
 * `WebSocket` cannot send headers.
 *
 * @since 0.2.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { BadRequestWire, UnauthorizedWire } from "./ApiError.js"
import * as ApiKey from "./ApiKey.js"

/** The Server-Sent Events route. */
export const STREAM_PATH = "/api/portfolio/stream"
/** The WebSocket route. */
export const WS_PATH = "/ws"
/** The query parameter that may carry the API key on the push routes. */
export const TOKEN_PARAM = "token"

/**
 * The push routes' security: the API key as on every route (`X-API-Key`, `Authorization:
 * Bearer`) or in the query parameter `token`.
 */
export class PushAuth extends HttpApiMiddleware.Tag<PushAuth>()("@portfolio/http/PushAuth", {
  failure: UnauthorizedWire,
  security: {
    ...ApiKey.security,
    token: HttpApiSecurity.apiKey({ key: TOKEN_PARAM, in: "query" }).pipe(
      HttpApiSecurity.annotate(
        OpenApi.Description,
        "The value of PORTFOLIO_API_KEY as the query parameter token, for browsers' EventSource and WebSocket, which cannot send headers (push routes only; never logged)."
      )
    )
  }
}) {}

const typesParam = Schema.String.annotations({
  description:
    "Comma-separated event types to receive (default: all): portfolio.snapshot_updated, portfolio.pnl_updated, portfolio.exposure_updated, portfolio.drawdown_updated, or their short names snapshot, pnl, exposure, drawdown."
})

const tokenParam = Schema.String.annotations({ description: "The API key, for clients that cannot send headers (see the security schemes)." })

/** The stream's body as OpenAPI shows it. */
export const EventStream = HttpApiSchema.Text({ contentType: "text/event-stream" }).annotations({
  identifier: "EventStream",
  description:
    "Server-Sent Events. Each published event is `id: <boot>-<seq>`, `event: <type>`, `data: <payload JSON>` (the payload as the bus carries it). On connect the latest event of each type is sent first, or, with `Last-Event-ID` (header, or `last_event_id` query parameter) naming an event still in the ring of the last 1 024, every event after it. A `: heartbeat` comment every 15 s of silence. A client that reads slower than events come gets the latest of each type (older ones of the same type are dropped), never an unbounded queue."
})

/** The 426 of `GET /ws` without an upgrade. */
export const UpgradeRequiredWire = Schema.Struct({
  error: Schema.Literal("upgrade_required"),
  message: Schema.String
}).annotations({ identifier: "UpgradeRequired", description: "GET /ws needs a WebSocket upgrade (Connection: Upgrade, Upgrade: websocket)." })

/** The 403 of `GET /ws` from a browser page of another origin. */
export const ForbiddenOriginWire = Schema.Struct({
  error: Schema.Literal("forbidden"),
  message: Schema.String
}).annotations({
  identifier: "ForbiddenOrigin",
  description: "A browser page of another origin than the service's own or PORTFOLIO_CORS_ORIGINS (browsers apply no CORS to WebSockets)."
})

/** The push routes. */
export class PushGroup extends HttpApiGroup.make("push", { topLevel: true })
  .add(
    HttpApiEndpoint.get("stream", STREAM_PATH)
      .setUrlParams(Schema.Struct({ types: Schema.optional(typesParam), last_event_id: Schema.optional(Schema.String), token: Schema.optional(tokenParam) }))
      .addSuccess(EventStream)
      .addError(BadRequestWire)
      .annotate(OpenApi.Summary, "Server-Sent Events: snapshots, PnL, exposure and drawdown as they are published")
      .annotate(
        OpenApi.Description,
        "Stays open. `types=` filters by event type (400 for an unknown one). `Last-Event-ID` resumes after the event it names when the service still holds it (the last 1 024 events), else the latest event of each type is sent. Heartbeat comments every 15 s. Slow readers get the latest event of each type coalesced."
      )
  )
  .add(
    HttpApiEndpoint.get("ws", WS_PATH)
      .setUrlParams(Schema.Struct({ types: Schema.optional(typesParam), last_event_id: Schema.optional(Schema.String), token: Schema.optional(tokenParam) }))
      .addSuccess(Schema.Void.annotations({ description: "101 Switching Protocols" }), { status: 101 })
      .addError(BadRequestWire)
      .addError(ForbiddenOriginWire, { status: 403 })
      .addError(UpgradeRequiredWire, { status: 426 })
      .annotate(OpenApi.Summary, "WebSocket: the same events as JSON messages {id, type, payload}")
      .annotate(
        OpenApi.Description,
        "Upgrade to a WebSocket. Each message is `{\"id\": \"<boot>-<seq>\", \"type\": \"portfolio.snapshot_updated\", \"payload\": {…}}`; the same `types`, `last_event_id`, first state and coalescing as the stream. The server pings every 15 s and closes a connection that did not answer the previous ping. Messages from the client are ignored. 403 when a browser page of another origin opens it (not the service's own, not in PORTFOLIO_CORS_ORIGINS). 426 without an upgrade."
      )
  )
  .middleware(PushAuth)
  .annotate(OpenApi.Title, "push") {}
