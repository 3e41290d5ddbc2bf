/**
 * Requests are recorded under their route's template: exact routes as they are, `:param`
 * segments matching one non-empty segment, the query string and a trailing slash ignored, any
 * other path `unmatched`, an unknown method `OTHER` — so clients cannot create series.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric } from "effect"
import * as HttpMetrics from "../src/HttpMetrics.js"
import * as Prometheus from "../src/Prometheus.js"
import * as PromText from "./support/PromText.js"

describe("HttpMetrics", () => {
  it("matches paths to route templates", () => {
    const routeOf = HttpMetrics.routeMatcher(["/health", "/api/portfolio/export/:file", "/api/portfolio/snapshot"])
    expect(routeOf("/health")).toBe("/health")
    expect(routeOf("/api/portfolio/export/trades.csv")).toBe("/api/portfolio/export/:file")
    expect(routeOf("/api/portfolio/export/")).toBe("unmatched")
    expect(routeOf("/api/portfolio/export/a/b")).toBe("unmatched")
    expect(routeOf("/api/portfolio/snapshots")).toBe("unmatched")
  })

  it.effect("records under the template, the method and the status", () =>
    Effect.gen(function* () {
      const record = HttpMetrics.recorder(["/test-metrics/:id"])
      record("GET", "/test-metrics/42?x=1", 200, 2)
      record("GET", "/test-metrics/43/", 200, 4)
      record("BREW", "/elsewhere/1", 418, 1)
      const e = PromText.parse(Prometheus.render(Metric.unsafeSnapshot()))
      const name = "portfolio_http_request_duration_seconds"
      expect(PromText.value(e, `${name}_count`, { route: "/test-metrics/:id", method: "GET", status: "200" })).toBe(2)
      expect(PromText.value(e, `${name}_sum`, { route: "/test-metrics/:id", method: "GET", status: "200" })).toBeCloseTo(0.006, 12)
      expect(PromText.value(e, `${name}_count`, { route: "unmatched", method: "OTHER", status: "418" })).toBe(1)
      expect(e.samples.some((s) => s.labels["route"]?.includes("42"))).toBe(false)
    }))
})
