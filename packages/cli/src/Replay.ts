/**
 * A backtest run: the records of an `EventSource` fed one by one through core's `Backtest`
 * (the live service's accounting, on event time), in constant memory — what is kept grows with
 * the days of the window (one daily close each), the symbols traded and the round trips (one
 * number each), never with the events.
 * Equity samples and closes go to sinks as they happen (the `--equity` and `--trades` files).
 *
 * The window `[from, to)` selects what the run *reports*: every event before `from` is applied
 * too (positions opened before it are carried in), events at or after `to` are not applied;
 * realized PnL, round trips, returns and drawdown are those inside the window.
 *
 * @since 0.1.0
 */
import { Backtest, decodeEnvelope, type ClosedTradeRecord, type DrawdownMetrics, type PnLBreakdown, type Portfolio, type PortfolioSnapshot } from "@portfolio/core"
import { Performance } from "@portfolio/report"
import { Data, Either } from "effect"
import type * as EventSource from "./EventSource.js"

/** How a run accounts and what it reports. */
export interface Settings {
  readonly initialCash: number
  readonly timeZone: string
  readonly positionSource: Portfolio.PositionSource
  /** First event time reported, epoch ms (inclusive). */
  readonly from?: number | undefined
  /** End of the window, epoch ms (exclusive): later events are not applied. */
  readonly to?: number | undefined
  /** Annualization of Sharpe and Sortino (default 365). */
  readonly periodsPerYear: number
  /** Skip lines that hold no event (counted, the first ones listed) instead of stopping at the first. */
  readonly skipInvalid: boolean
  /** Event-time interval between equity samples, ms (default 10 000, as the live service). */
  readonly sampleIntervalMs?: number | undefined
}

/** A line that holds no event, met without `--skip-invalid`: the run stops there. */
export class InvalidLine extends Data.TaggedError("InvalidLine")<{ readonly source: string; readonly line: number; readonly reason: string }> {
  override get message(): string {
    return `${this.source}:${this.line}: ${this.reason} (use --skip-invalid to skip such lines)`
  }
}

/** An equity sample, as written to the `--equity` file. */
export interface Sample {
  readonly at: number
  readonly equity: number
  readonly cash: number
  readonly unrealized_pnl: number
}

/** Where samples and closes go as they happen, and how progress is told. */
export interface Sinks {
  readonly sample?: ((sample: Sample) => void) | undefined
  readonly close?: ((close: ClosedTradeRecord) => void) | undefined
  /** Called after each batch of records (a few hundred) with the number of records read so far. */
  readonly progress?: ((records: number) => void) | undefined
}

/** Where a record was met, and why it was not applied. */
export interface Located {
  readonly source: string
  readonly line: number
  readonly reason: string
}

/** Everything a run found. */
export interface Result {
  readonly settings: Settings
  /** Records read (events and bad lines). */
  readonly records: number
  /** Events applied (accepted by the accounting, whatever they changed). */
  readonly applied: number
  /** Events rejected as invalid (as the live service dead-letters them): the count and the first 100. */
  readonly rejected: number
  readonly rejections: ReadonlyArray<Located>
  /** Lines that held no event (only with `skipInvalid`): the count and the first 100. */
  readonly badLines: number
  readonly badLineList: ReadonlyArray<Located>
  /** Events at or after the window's end, not applied. */
  readonly afterWindow: number
  /** Event times of the first and last events applied in the window (null when none). */
  readonly firstEventAt: number | null
  readonly lastEventAt: number | null
  readonly snapshot: PortfolioSnapshot
  readonly pnl: PnLBreakdown
  readonly drawdown: DrawdownMetrics
  readonly summary: Performance.Summary
  /** Equity at the end of each local day of the window, oldest first. */
  readonly dailyCloses: ReadonlyArray<Performance.DailyClose>
  /** A bounded thinning of the window's equity samples (at most ~4 000), for charts. */
  readonly curve: ReadonlyArray<Sample>
  readonly symbols: ReadonlyArray<Performance.SymbolFigures>
  /** The window's accumulated performance, for the report (`Tearsheet.make`). */
  readonly performance: Performance.Performance
}

const where = (entry: { readonly source: string; readonly line: number }, reason: string): Located => ({
  source: entry.source,
  line: entry.line,
  reason
})

/**
 * Replays `batches` of records (see `EventSource.open`) under `settings`. Rejects with
 * {@link InvalidLine} at the first line that holds no event unless `skipInvalid`.
 */
export const run = async (batches: AsyncIterable<EventSource.Batch>, settings: Settings, sinks: Sinks = {}): Promise<Result> => {
  const bt = Backtest.make({
    initialCash: settings.initialCash,
    timeZone: settings.timeZone,
    positionSource: settings.positionSource,
    sampleIntervalMs: settings.sampleIntervalMs ?? 10_000
  })
  const from = settings.from ?? Number.NEGATIVE_INFINITY
  const to = settings.to ?? Number.POSITIVE_INFINITY
  const perf = Performance.make(settings.timeZone)

  let count = 0
  let applied = 0
  let rejected = 0
  const rejections: Array<Located> = []
  let badLines = 0
  let after = 0
  const badLineList: Array<Located> = []
  let firstEventAt: number | null = null
  let lastEventAt: number | null = null

  const onDecision = (decision: Portfolio.Decision): void => {
    if (decision._tag !== "Applied") return
    for (const close of decision.changes.closes) {
      if (close.closed_at < from) continue
      Performance.addClose(perf, close)
      sinks.close?.(close)
    }
  }

  // Records of a batch are applied in a plain loop: nothing is awaited between two of them.
  const apply = (record: EventSource.Record_): void => {
    if (record._tag === "BadLine") {
      if (!settings.skipInvalid) throw new InvalidLine({ source: record.source, line: record.line, reason: record.reason })
      badLines++
      if (badLineList.length < 100) badLineList.push(where(record, record.reason))
      return
    }
    const decoded = decodeEnvelope(record.envelope, { defaultTime: bt.portfolio.lastEventAt })
    if (Either.isLeft(decoded)) {
      bt.rejected++
      rejected++
      if (rejections.length < 100) rejections.push(where(record, `${decoded.left.eventType}: ${decoded.left.reason}`))
      return
    }
    const event = decoded.right
    if (event.at >= to) {
      after++
      return
    }
    const before = bt.lastSampleAt
    const decision = Backtest.feed(bt, event, onDecision)
    if (decision._tag === "Rejected") {
      rejected++
      if (rejections.length < 100) rejections.push(where(record, `${event.type}: ${decision.path}: ${decision.reason}`))
    } else {
      applied++
    }
    const at = event.at
    if (at >= from) {
      if (firstEventAt === null) firstEventAt = at
      lastEventAt = at
    }
    if (bt.lastSampleAt !== before && bt.drawdown.last !== undefined) {
      const point = bt.drawdown.last
      const cash = Backtest.cash(bt)
      const sample: Sample = { at: point.at, equity: point.equity, cash, unrealized_pnl: point.equity - cash }
      if (sample.at < from) return
      Performance.addSample(perf, sample)
      sinks.sample?.(sample)
    }
  }

  for await (const batch of batches) {
    for (let i = 0; i < batch.length; i++) apply(batch[i]!)
    count += batch.length
    sinks.progress?.(count)
  }

  const snapshot = Backtest.snapshot(bt)
  return {
    settings,
    records: count,
    applied,
    rejected,
    rejections,
    badLines,
    badLineList,
    afterWindow: after,
    firstEventAt,
    lastEventAt,
    snapshot,
    pnl: Backtest.pnl(bt),
    drawdown: Backtest.drawdown(bt),
    summary: Performance.summarize(perf, snapshot.total_equity, settings.periodsPerYear),
    dailyCloses: perf.daily,
    curve: Performance.curve(perf),
    symbols: Performance.symbols(perf),
    performance: perf
  }
}
