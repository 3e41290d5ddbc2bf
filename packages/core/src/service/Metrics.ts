/**
 * The service's metrics as Effect `Metric`s (for `/metrics` and operators' dashboards). They
 * are updated once per batch, not once per event, so counting costs nothing on the hot path.
 *
 * @since 0.2.0
 */
import { Effect, Metric, MetricBoundaries } from "effect"

/** Events handled, tagged `type` and `outcome` (applied, duplicate, ignored, parked, rejected, failed). */
export const events = Metric.counter("portfolio_events_total", {
  description: "events handled, by event type and outcome",
  incremental: true
})

/** Events per ingested batch. */
export const batchSize = Metric.histogram(
  "portfolio_ingest_batch_size",
  MetricBoundaries.exponential({ start: 1, factor: 2, count: 13 }),
  "events per ingested batch"
)

/** Seconds one store transaction of a batch took. */
export const commitSeconds = Metric.histogram(
  "portfolio_store_commit_seconds",
  MetricBoundaries.exponential({ start: 0.0001, factor: 2, count: 16 }),
  "seconds per store commit of a batch"
)

/** Closes parked waiting for their trade's open. */
export const parkedCloses = Metric.gauge("portfolio_parked_closes", { description: "closes waiting for their trade's open" })

/** The tagged counter of each `type\noutcome`, made once (tagging a metric allocates). */
const tagged = new Map<string, Metric.Metric.Counter<number>>()
const counterOf = (key: string): Metric.Metric.Counter<number> => {
  let counter = tagged.get(key)
  if (counter === undefined) {
    const [type, outcome] = key.split("\n") as [string, string]
    counter = events.pipe(Metric.tagged("type", type), Metric.tagged("outcome", outcome))
    tagged.set(key, counter)
  }
  return counter
}

/** Adds the counts of one batch: `type\noutcome → n`. */
export const countEvents = (counts: ReadonlyMap<string, number>): Effect.Effect<void> =>
  Effect.forEach(counts, ([key, n]) => Metric.incrementBy(counterOf(key), n), { discard: true })
