/**
 * The Prometheus text of Effect metrics, read back by a strict reader of the format
 * (support/PromText.ts): families with HELP and TYPE, escaped label values and help texts,
 * histograms with cumulative `_bucket{le}`, `+Inf`, `_sum` and `_count`, summaries, and names
 * made valid.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Metric, MetricBoundaries } from "effect"
import * as Prometheus from "../src/Prometheus.js"
import * as PromText from "./support/PromText.js"

describe("Prometheus.render", () => {
  it.effect("writes counters and gauges with escaped labels and help, one family per name", () =>
    Effect.gen(function* () {
      const counter = Metric.counter("test_render_requests_total", { description: "requests\nby \\ path", incremental: true })
      const nasty = "a \"quoted\" \\ back\nslash"
      yield* Metric.incrementBy(counter.pipe(Metric.tagged("path", nasty)), 3)
      yield* Metric.incrementBy(counter.pipe(Metric.tagged("path", "/plain")), 2)
      yield* Metric.set(Metric.gauge("test_render.gauge-dotted"), -1.5)
      yield* Metric.set(Metric.gauge("test_render_nan"), NaN)

      const text = yield* Prometheus.scrape
      const e = PromText.parse(text)
      expect(e.type.get("test_render_requests_total")).toBe("counter")
      expect(e.help.get("test_render_requests_total")).toBe("requests\nby \\ path")
      expect(PromText.value(e, "test_render_requests_total", { path: nasty })).toBe(3)
      expect(PromText.value(e, "test_render_requests_total", { path: "/plain" })).toBe(2)
      expect(text.match(/^# TYPE test_render_requests_total /gm)).toHaveLength(1)
      // A name with characters the format does not allow is made valid.
      expect(e.type.get("test_render_gauge_dotted")).toBe("gauge")
      expect(PromText.value(e, "test_render_gauge_dotted")).toBe(-1.5)
      expect(PromText.value(e, "test_render_nan")).toBeNaN()
    }))

  it.effect("writes a histogram as cumulative buckets up to +Inf, with _sum and _count", () =>
    Effect.gen(function* () {
      const h = Metric.histogram("test_render_latency_seconds", MetricBoundaries.fromIterable([0.01, 0.1, 1]), "latency")
      const tagged = h.pipe(Metric.tagged("route", "/api/x"))
      for (const v of [0.005, 0.05, 0.05, 0.5, 5]) yield* Metric.update(tagged, v)

      const e = PromText.parse(yield* Prometheus.scrape)
      expect(e.type.get("test_render_latency_seconds")).toBe("histogram")
      const buckets = PromText.find(e, "test_render_latency_seconds_bucket", { route: "/api/x" }).map((s) => [s.labels["le"], s.value])
      expect(buckets).toEqual([["0.01", 1], ["0.1", 3], ["1", 4], ["+Inf", 5]])
      expect(PromText.value(e, "test_render_latency_seconds_count", { route: "/api/x" })).toBe(5)
      expect(PromText.value(e, "test_render_latency_seconds_sum", { route: "/api/x" })).toBeCloseTo(5.605, 10)
      expect(PromText.checkHistograms(e)).toBeGreaterThanOrEqual(1)
    }))

  it.effect("writes a summary's quantiles, _sum and _count", () =>
    Effect.gen(function* () {
      const s = Metric.summary({ name: "test_render_summary", maxAge: "1 minute", maxSize: 100, error: 0.01, quantiles: [0.5, 0.99] })
      for (let i = 1; i <= 100; i++) yield* Metric.update(s, i)
      const e = PromText.parse(yield* Prometheus.scrape)
      expect(e.type.get("test_render_summary")).toBe("summary")
      expect(PromText.find(e, "test_render_summary", { quantile: "0.5" })).toHaveLength(1)
      expect(PromText.value(e, "test_render_summary_count")).toBe(100)
      expect(PromText.value(e, "test_render_summary_sum")).toBe(5050)
    }))

  it("escapes and formats as the format says", () => {
    expect(Prometheus.escapeLabelValue("a\\b\"c\nd")).toBe("a\\\\b\\\"c\\nd")
    expect(Prometheus.escapeHelp("a\\b\nc \"q\"")).toBe("a\\\\b\\nc \"q\"")
    expect(Prometheus.formatValue(Infinity)).toBe("+Inf")
    expect(Prometheus.formatValue(-Infinity)).toBe("-Inf")
    expect(Prometheus.formatValue(12n)).toBe("12")
    expect(Prometheus.sanitizeName("9lives.total")).toBe("_9lives_total")
    expect(Prometheus.sanitizeName("a:b", false)).toBe("a_b")
  })
})
