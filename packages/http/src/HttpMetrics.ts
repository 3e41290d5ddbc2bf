/**
 * The HTTP request latency histogram, `portfolio_http_request_duration_seconds`, labelled by
 * `route` — the route's template as the API declares it (`/api/portfolio/export/:file`), never
 * the raw path, so that the number of series stays bounded whatever clients ask for (a path no
 * route matches is `unmatched`) — by `method` (the standard ones, any other is `OTHER`) and by
 * `status`.
 *
 * Recording is a plain function, no `Effect`: a hand-written fast path can call it too. Each
 * (route, method, status) gets its label array once, so an update finds its series in the
 * metric's cache instead of building and hashing a key.
 *
 * @example
 * const record = HttpMetrics.recorder(["/health", "/api/portfolio/export/:file"])
 * record("GET", "/api/portfolio/export/trades.csv", 200, 3.2) // route="/api/portfolio/export/:file"
 *
 * @since 0.2.0
 */
import { Metric, MetricBoundaries, MetricLabel } from "effect"

/** Seconds per request, by route template, method and status. */
export const requestSeconds = Metric.histogram(
  "portfolio_http_request_duration_seconds",
  MetricBoundaries.exponential({ start: 0.0001, factor: 2, count: 18 }),
  "seconds from a request's arrival to its answer, by route template, method and status"
)

/** The route label of a path no route matches. */
export const UNMATCHED = "unmatched"

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])

const isParam = (segment: string): boolean => segment.startsWith(":") || segment === "*"

/**
 * The template of `path` among `templates` (exact first, then by segments: `:name` matches one
 * segment), or {@link UNMATCHED}. `path` is without its query string.
 */
export const routeMatcher = (templates: Iterable<string>): ((path: string) => string) => {
  const exact = new Set<string>()
  const patterns: Array<{ readonly template: string; readonly segments: ReadonlyArray<string> }> = []
  for (const template of templates) {
    const segments = template.split("/")
    if (segments.some(isParam)) patterns.push({ template, segments })
    else exact.add(template)
  }
  return (path) => {
    if (exact.has(path)) return path
    if (patterns.length === 0) return UNMATCHED
    const segments = path.split("/")
    for (const p of patterns) {
      if (p.segments.length !== segments.length) continue
      let same = true
      for (let i = 0; i < segments.length && same; i++) same = isParam(p.segments[i]!) ? segments[i] !== "" : p.segments[i] === segments[i]
      if (same) return p.template
    }
    return UNMATCHED
  }
}

const seriesLabels = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

/** Records one answered request: `route` a template (or {@link UNMATCHED}), `durationMs` in milliseconds. */
export const observe = (route: string, method: string, status: number, durationMs: number): void => {
  const m = METHODS.has(method) ? method : "OTHER"
  const key = `${route} ${m} ${status}`
  let labels = seriesLabels.get(key)
  if (labels === undefined) {
    labels = [MetricLabel.make("route", route), MetricLabel.make("method", m), MetricLabel.make("status", String(status))]
    seriesLabels.set(key, labels)
  }
  requestSeconds.unsafeUpdate(durationMs / 1000, labels)
}

/**
 * A recorder for the routes `templates`: `(method, path, status, durationMs)` with the raw path
 * (query string allowed), recorded under its route's template.
 */
export const recorder = (templates: Iterable<string>): ((method: string, path: string, status: number, durationMs: number) => void) => {
  const routeOf = routeMatcher(templates)
  return (method, path, status, durationMs) => {
    const q = path.indexOf("?")
    const bare = q === -1 ? path : path.slice(0, q)
    observe(routeOf(bare.length > 1 && bare.endsWith("/") ? bare.slice(0, -1) : bare), method, status, durationMs)
  }
}
