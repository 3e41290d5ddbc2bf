/**
 * `GET /metrics`: the service's metrics in the Prometheus text format (`text/plain;
 * version=0.0.4`), declared in the API like every route (so it is in `/openapi.json`, the
 * request log, and the API key's care: when `PORTFOLIO_API_KEY` is set a scraper sends it,
 * e.g. Prometheus' `authorization: { credentials: <key> }`). `MetricsHandlers` serves it.
 *
 * Series (see `Metrics` in `@portfolio/core` and `HttpMetrics`):
 *
 * | name | type | labels |
 * | --- | --- | --- |
 * | `portfolio_events_total` | counter | `type`, `outcome` (applied, duplicate, ignored, parked, rejected, failed) |
 * | `portfolio_dead_letters_total` | counter | `type` |
 * | `portfolio_consumer_lag` | gauge | `stream` (Redis bus only) |
 * | `portfolio_ingest_batch_size` | histogram | |
 * | `portfolio_store_commit_seconds` | histogram | |
 * | `portfolio_http_request_duration_seconds` | histogram | `route` (template), `method`, `status` |
 * | `portfolio_equity`, `portfolio_unrealized_pnl`, `portfolio_open_positions` | gauge | |
 * | `portfolio_exposure` | gauge | `side` (long, short, net, total) |
 * | `portfolio_drawdown_pct` | gauge | `window` (daily, weekly, max) |
 * | `portfolio_last_snapshot_timestamp_seconds` | gauge | |
 * | `portfolio_parked_closes` | gauge | |
 *
 * @since 0.2.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { ApiKeyAuth } from "./ApiKey.js"
import { CONTENT_TYPE } from "./Prometheus.js"

/** The route. */
export const METRICS_PATH = "/metrics"

/** `GET /metrics`. Requires the API key when one is set. */
export class MetricsGroup extends HttpApiGroup.make("metrics", { topLevel: true })
  .add(
    HttpApiEndpoint.get("metrics", METRICS_PATH)
      .addSuccess(HttpApiSchema.Text({ contentType: CONTENT_TYPE }).annotations({ description: "Prometheus text exposition format 0.0.4" }))
      .annotate(OpenApi.Summary, "Metrics in the Prometheus text format")
      .annotate(
        OpenApi.Description,
        "Events by type and outcome, dead letters, consumer lag per stream, ingest batch sizes, store commit latency, HTTP request latency by route template and status, and equity, exposure, drawdown, open positions as of the last published snapshot (portfolio_last_snapshot_timestamp_seconds says when), parked closes."
      )
  )
  .middleware(ApiKeyAuth)
  .annotate(OpenApi.Title, "metrics") {}
