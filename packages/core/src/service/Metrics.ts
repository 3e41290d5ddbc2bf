/**
 * The service's metrics as Effect `Metric`s (for `/metrics` and operators' dashboards). They
 * are updated once per batch, not once per event, so counting costs nothing on the hot path.
 *
 * @since 0.2.0
 */
import { Effect, Metric, MetricBoundaries, MetricLabel } from "effect"

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

/** Bus entries sent to their dead-letter stream (invalid, or not applied after every retry), tagged `type`. */
export const deadLetters = Metric.counter("portfolio_dead_letters_total", {
  description: "bus entries dead-lettered, by event type",
  incremental: true
})

/** Entries of each stream not yet delivered to the service's consumer group, tagged `stream` (the event type). */
export const consumerLag = Metric.gauge("portfolio_consumer_lag", {
  description: "entries not yet delivered to the consumer group, by stream (as of the bus's last report)"
})

/** Mark-to-market equity at the last published snapshot. */
export const equity = Metric.gauge("portfolio_equity", { description: "equity (cash + unrealized PnL) at the last published snapshot" })

/** Unrealized PnL at the last published snapshot. */
export const unrealizedPnl = Metric.gauge("portfolio_unrealized_pnl", { description: "unrealized PnL at the last published snapshot" })

/** Notional exposure at the last published snapshot, tagged `side` (long, short, net, total). */
export const exposure = Metric.gauge("portfolio_exposure", { description: "notional exposure at the last published snapshot, by side" })

/** Drawdown in percent at the last published snapshot, tagged `window` (daily, weekly, max). */
export const drawdownPct = Metric.gauge("portfolio_drawdown_pct", { description: "drawdown in percent of the peak at the last published snapshot, by window" })

/** Open positions at the last published snapshot. */
export const openPositions = Metric.gauge("portfolio_open_positions", { description: "open positions at the last published snapshot" })

/** Epoch seconds of the last published snapshot: how old the gauges above are. */
export const lastSnapshotTime = Metric.gauge("portfolio_last_snapshot_timestamp_seconds", {
  description: "when the last snapshot was published (epoch seconds)"
})

const NO_TAGS: ReadonlyArray<MetricLabel.MetricLabel> = []

/**
 * The labels of each value of one label, made once per value: a metric updated with the same
 * array finds its series in a cache, where `Metric.tagged` builds and hashes a key at every update.
 */
const labelsBy = (key: string): ((value: string) => ReadonlyArray<MetricLabel.MetricLabel>) => {
  const made = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
  return (value) => {
    let tags = made.get(value)
    if (tags === undefined) {
      tags = [MetricLabel.make(key, value)]
      made.set(value, tags)
    }
    return tags
  }
}

const bySide = labelsBy("side")
const byWindow = labelsBy("window")
const byStream = labelsBy("stream")
const byType = labelsBy("type")

/** What a published snapshot tells the gauges: numbers the snapshot computed anyway. */
export interface SnapshotFigures {
  readonly now: number
  readonly equity: number
  readonly unrealizedPnl: number
  readonly longExposure: number
  readonly shortExposure: number
  readonly totalExposure: number
  readonly openPositions: number
  readonly dailyDrawdownPct: number
  readonly weeklyDrawdownPct: number
  readonly maxDrawdownPct: number
}

/**
 * Sets the portfolio gauges from a published snapshot's figures. A scrape then reads numbers,
 * never the positions: its cost does not grow with the portfolio.
 */
export const recordSnapshot = (f: SnapshotFigures): void => {
  equity.unsafeUpdate(f.equity, NO_TAGS)
  unrealizedPnl.unsafeUpdate(f.unrealizedPnl, NO_TAGS)
  exposure.unsafeUpdate(f.longExposure, bySide("long"))
  exposure.unsafeUpdate(f.shortExposure, bySide("short"))
  exposure.unsafeUpdate(f.longExposure - f.shortExposure, bySide("net"))
  exposure.unsafeUpdate(f.totalExposure, bySide("total"))
  openPositions.unsafeUpdate(f.openPositions, NO_TAGS)
  drawdownPct.unsafeUpdate(f.dailyDrawdownPct, byWindow("daily"))
  drawdownPct.unsafeUpdate(f.weeklyDrawdownPct, byWindow("weekly"))
  drawdownPct.unsafeUpdate(f.maxDrawdownPct, byWindow("max"))
  lastSnapshotTime.unsafeUpdate(f.now / 1000, NO_TAGS)
}

/** Sets the consumer lag of each stream the bus reported (`null`: unknown, left as it was). */
export const recordConsumerLag = (lag: Readonly<Record<string, number | null>>): void => {
  for (const [name, n] of Object.entries(lag)) {
    if (n !== null && Number.isFinite(n)) consumerLag.unsafeUpdate(n, byStream(name))
  }
}

/** Counts one entry dead-lettered from the stream of `eventType`. */
export const countDeadLetter = (eventType: string): Effect.Effect<void> => Effect.sync(() => deadLetters.unsafeUpdate(1, byType(eventType)))

/**
 * Registers the metrics that have no tags, so that a scrape shows them (at 0) before their
 * first update.
 */
export const register: Effect.Effect<void> = Effect.sync(() => {
  batchSize.unsafeValue(NO_TAGS)
  commitSeconds.unsafeValue(NO_TAGS)
  parkedCloses.unsafeValue(NO_TAGS)
})

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
