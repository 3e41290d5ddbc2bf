/**
 * The handler of `GET /metrics` (`MetricsApi`): every metric of the process in the Prometheus
 * text format (`Prometheus.scrape`). A scrape reads the metrics' current values only — the
 * portfolio gauges are set when a snapshot is published — so it costs the same whatever the
 * number of positions.
 *
 * @since 0.2.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Metrics } from "@portfolio/core"
import { Effect } from "effect"
import { PortfolioApi } from "./Api.js"
import * as Prometheus from "./Prometheus.js"

/** The `metrics` group's handlers; registers the untagged metrics so a first scrape shows them. */
export const layer = HttpApiBuilder.group(PortfolioApi, "metrics", (handlers) =>
  Effect.as(Metrics.register, handlers.handle("metrics", () => Prometheus.scrape))
)
