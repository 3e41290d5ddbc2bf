/**
 * The HTTP API of the service, defined once with `HttpApi`: the server implements it
 * (`ApiHandlers`), `/openapi.json` and `/docs` are generated from it, and a client can be
 * derived from it (`HttpApiClient.make(PortfolioApi)`). Response bodies are core's schemas.
 *
 * | method | path | answer |
 * | --- | --- | --- |
 * | GET | `/health` | `ServiceHealth`; 503 with the same body when a required component is down |
 * | GET | `/api/portfolio/snapshot` | `PortfolioSnapshot` |
 * | GET | `/api/portfolio/pnl` | `PnLBreakdown` |
 * | GET | `/api/portfolio/exposure` | `ExposureBreakdown` |
 * | GET | `/api/portfolio/drawdown` | `DrawdownMetrics` |
 * | GET | `/api/portfolio/positions` | `NetPosition[]` |
 * | | (each of `/api/portfolio/*`) | 503 `cash_unavailable` while no cash balance was ever read |
 * | POST | `/api/events` | one envelope (optional `Idempotency-Key`): `IngestResult`, 202; 422 when invalid. An array: `IngestBatchResult`, 202. 503 `store_unavailable` when the store cannot take them after every retry |
 * | GET | `/api/events/rejected` | `RejectedEvent[]`, most recent rejections |
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import {
  DrawdownMetrics,
  EnvelopeInput,
  ExposureBreakdown,
  IngestResult,
  NetPosition,
  PnLBreakdown,
  PortfolioLive,
  PortfolioSnapshot,
  RejectedEvent,
  ServiceHealth
} from "@portfolio/core"
import { Schema } from "effect"
import {
  BadRequestWire,
  CashUnavailableWire,
  EventRejectedWire,
  InternalErrorWire,
  PayloadTooLargeWire,
  StoreUnavailableWire,
  UnsupportedMediaTypeWire
} from "./ApiError.js"
import { ApiKeyAuth } from "./ApiKey.js"
import { ExportGroup } from "./ApiExport.js"
import { EnvelopeBatch, IngestBatchResult, MAX_EVENTS } from "./EventBatch.js"
import { dropDecodeErrors } from "./internal/openApi.js"
import { MetricsGroup } from "./MetricsApi.js"
import { GraphQLGroup } from "./GraphQLApi.js"
import { PushGroup } from "./PushApi.js"
import { AnalyticsGroup } from "./ApiAnalytics.js"

/** `GET /health`: open to everyone, even when an API key is set. */
export class HealthGroup extends HttpApiGroup.make("health", { topLevel: true })
  .add(
    HttpApiEndpoint.get("health", "/health")
      .addSuccess(ServiceHealth)
      .addError(ServiceHealth, { status: 503 })
      .annotate(OpenApi.Summary, "Health of the service and of each component")
      .annotate(
        OpenApi.Description,
        "Each component (store, bus, balance, price_feed) is ok, degraded or down. The answer is 503, with the same body, when a required component is down."
      )
  )
  .annotate(OpenApi.Title, "health") {}

/** The portfolio's current state. Requires the API key when one is set. */
export class PortfolioGroup extends HttpApiGroup.make("portfolio")
  .add(
    HttpApiEndpoint.get("snapshot", "/snapshot")
      .addSuccess(PortfolioSnapshot)
      .annotate(OpenApi.Summary, "Equity, cash, exposure, open positions (one per trade) and today's PnL")
  )
  .add(
    HttpApiEndpoint.get("pnl", "/pnl")
      .addSuccess(PnLBreakdown)
      .annotate(OpenApi.Summary, "Realized PnL today, this week, this month and in total; unrealized PnL; trade statistics")
  )
  .add(
    HttpApiEndpoint.get("exposure", "/exposure")
      .addSuccess(ExposureBreakdown)
      .annotate(OpenApi.Summary, "Long, short, net and total notional exposure, by symbol and by sector")
  )
  .add(
    HttpApiEndpoint.get("drawdown", "/drawdown")
      .addSuccess(DrawdownMetrics)
      .annotate(OpenApi.Summary, "Daily, weekly and maximum drawdown, peak and trough equity, recovery")
  )
  .add(
    HttpApiEndpoint.get("positions", "/positions")
      .addSuccess(Schema.Array(NetPosition).annotations({ description: "The net positions, by symbol and side" }))
      .annotate(OpenApi.Summary, "Net positions per (symbol, side): sizes summed, entry size-weighted")
  )
  // Every query fails so while cash has never been read: declared once, for the group.
  .addError(CashUnavailableWire)
  .prefix("/api/portfolio")
  .middleware(ApiKeyAuth)
  .annotate(OpenApi.Title, "portfolio") {}

/** Ingestion of events and the recent rejections. Requires the API key when one is set. */
export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.post("ingest", "/")
      .setPayload(Schema.Union(EnvelopeInput, EnvelopeBatch))
      .setHeaders(
        Schema.Struct({
          "idempotency-key": Schema.optional(
            Schema.String.annotations({
              description:
                "For one envelope: the event's idempotency key (1 to 128 characters), so that the same request sent twice is applied once (the second answers duplicate). Refused (400) with an array."
            })
          )
        })
      )
      .addSuccess(IngestResult, { status: 202 })
      .addSuccess(IngestBatchResult, { status: 202 })
      .addError(EventRejectedWire)
      .addError(BadRequestWire)
      .addError(PayloadTooLargeWire)
      .addError(StoreUnavailableWire)
      .addError(UnsupportedMediaTypeWire)
      .annotate(OpenApi.Summary, "Ingest one event in the bus envelope, or an array of them")
      .annotate(
        OpenApi.Description,
        `The body is the envelope the Python services write to Redis (\`event_type\`, \`payload\` as a JSON string or object, \`trace_id\`, \`timestamp\`, \`source\`, \`correlation_id\`), sent as application/json, or a JSON array of up to ${MAX_EVENTS} of them. An envelope without \`payload\` is a flat entry, as the executor writes \`trade.closed\`: the event's fields are on the envelope itself, numbers as decimal strings (\`"exit_price": "41000.5"\`). Each takes the same path as a bus delivery: validate, persist, apply, publish; an array is committed together and answered once durable. One envelope: 202 says what became of it (applied; duplicate — already processed, nothing changed; ignored, with the reason; parked — a close whose trade is not open yet, kept until it is), 422 that it was invalid, with each field at fault (symbols at most 32 characters of [A-Za-z0-9._-], ids 128, free text 1 024). With an \`Idempotency-Key\` header the envelope is that key's event: sent again with the same key it answers duplicate. An array: 202 with the count of each status and each envelope's result in order (invalid ones among them are \`rejected\` with their fields; the others are still ingested); 413 above ${MAX_EVENTS} envelopes; 400 with an \`Idempotency-Key\` header (keys belong to single events). A body nested deeper than 34 levels is refused (400).`
      )
  )
  .add(
    HttpApiEndpoint.get("rejected", "/rejected")
      .addSuccess(Schema.Array(RejectedEvent).annotations({ description: "The most recent rejections, oldest first" }))
      .annotate(OpenApi.Summary, "The most recent rejected events (from the bus and from this API), with the reason")
  )
  .prefix("/api/events")
  .middleware(ApiKeyAuth)
  .annotate(OpenApi.Title, "events") {}

/** The whole API. */
export class PortfolioApi extends HttpApi.make("portfolio-intelligence")
  .add(HealthGroup)
  .add(PortfolioGroup)
  .add(EventsGroup)
  .add(PushGroup)
  .add(ExportGroup)
  .add(GraphQLGroup)
  .add(AnalyticsGroup)
  .add(MetricsGroup)
  .addError(InternalErrorWire)
  .annotate(OpenApi.Title, "Portfolio Intelligence")
  .annotate(OpenApi.Version, PortfolioLive.VERSION)
  .annotate(
    OpenApi.Description,
    "Real-time positions, PnL, exposure and drawdown of a trading account. Errors are JSON `{ error, message, details? }`. When PORTFOLIO_API_KEY is set, every endpoint but /health requires it (X-API-Key header or Authorization: Bearer)."
  )
  .annotate(HttpApi.AdditionalSchemas, [IngestBatchResult])
  .annotate(OpenApi.Transform, dropDecodeErrors) {}
