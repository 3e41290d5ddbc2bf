/**
 * Drawdown from a series of equity samples (DESIGN.md §3):
 * - daily: `(peak_today − equity) / peak_today × 100`, the day's peak reset at the local day
 *   boundary;
 * - weekly: the same against the highest equity of the last 7 days (rolling);
 * - max: the largest peak-to-trough drop of the whole history;
 * - days since the all-time peak, and recovery: `(equity − trough) / (peak − trough) × 100`
 *   since the last peak (100 at a peak).
 * Every percentage is clamped to [0, 100]; a peak ≤ 0 gives 0.
 * Peaks survive restarts: {@link restore} rebuilds the state from the history's extremes.
 *
 * @since 0.1.0
 */
import type { EquityExtremes, EquitySample } from "../schema/Records.js"
import * as Calendar from "./Calendar.js"

const WEEK_MS = 7 * Calendar.DAY

/** A point of the equity curve. */
export interface Point {
  readonly at: number
  readonly equity: number
}

/** The drawdown state. Mutable; owned by one writer. */
export interface Drawdown {
  readonly calendar: Calendar.Calendar
  peak: Point | undefined
  troughSincePeak: Point | undefined
  maxDrawdownPct: number
  day: number
  peakToday: number
  /** Samples of the last 7 days with decreasing equity (a monotonic queue): its head is the max. */
  readonly window: Array<Point>
  windowHead: number
  last: Point | undefined
  count: number
}

/** An empty drawdown state. */
export const make = (calendar: Calendar.Calendar): Drawdown => ({
  calendar,
  peak: undefined,
  troughSincePeak: undefined,
  maxDrawdownPct: 0,
  day: Number.NaN,
  peakToday: 0,
  window: [],
  windowHead: 0,
  last: undefined,
  count: 0
})

/** `(peak − equity) / peak × 100`, clamped to [0, 100]; 0 when the peak is not positive. */
export const pct = (peak: number, equity: number): number => {
  if (!(peak > 0)) return 0
  const d = ((peak - equity) / peak) * 100
  return d <= 0 ? 0 : d >= 100 ? 100 : d
}

const slideWindow = (self: Drawdown, point: Point): void => {
  const w = self.window
  while (w.length > self.windowHead && w[w.length - 1]!.equity <= point.equity) w.pop()
  w.push(point)
  while (self.windowHead < w.length && w[self.windowHead]!.at <= point.at - WEEK_MS) self.windowHead++
  if (self.windowHead > 1024 && self.windowHead * 2 > w.length) {
    w.splice(0, self.windowHead)
    self.windowHead = 0
  }
}

/** Records one equity sample (samples must come in time order). */
export const record = (self: Drawdown, point: Point): void => {
  const day = Calendar.dayKey(self.calendar, point.at)
  if (day !== self.day) {
    self.day = day
    self.peakToday = point.equity
  } else if (point.equity > self.peakToday) {
    self.peakToday = point.equity
  }
  if (self.peak === undefined || point.equity >= self.peak.equity) {
    self.peak = point
    self.troughSincePeak = point
  } else {
    if (point.equity < self.troughSincePeak!.equity) self.troughSincePeak = point
    const d = pct(self.peak.equity, point.equity)
    if (d > self.maxDrawdownPct) self.maxDrawdownPct = d
  }
  slideWindow(self, point)
  self.last = point
  self.count++
}

/** The drawdown figures at `now` with the current equity (which need not be a recorded sample). */
export interface Metrics {
  readonly dailyDrawdownPct: number
  readonly weeklyDrawdownPct: number
  readonly maxDrawdownPct: number
  readonly peakEquity: number
  readonly currentEquity: number
  readonly troughEquity: number
  readonly peakEquityToday: number
  /** Whole days since the peak (an integer, as the original's model has it). */
  readonly daysSincePeak: number
  /** When the peak was observed (epoch ms). */
  readonly peakAt: number
  readonly recoveryProgressPct: number
}

/**
 * The metrics at `now` for `equity`. The current equity counts as observed (it can raise the
 * peaks or deepen the trough) without being recorded.
 */
export const metrics = (self: Drawdown, now: number, equity: number): Metrics => {
  const sameDay = Calendar.dayKey(self.calendar, now) === self.day
  const peakToday = sameDay ? Math.max(self.peakToday, equity) : equity
  let weekPeak = equity
  for (let i = self.windowHead; i < self.window.length; i++) {
    const p = self.window[i]!
    if (p.at > now - WEEK_MS) {
      if (p.equity > weekPeak) weekPeak = p.equity
      break
    }
  }
  const atPeak = self.peak === undefined || equity >= self.peak.equity
  const peak = atPeak ? { at: now, equity } : self.peak!
  const trough = atPeak ? equity : Math.min(self.troughSincePeak!.equity, equity)
  const recovery = atPeak || peak.equity === trough ? 100 : ((equity - trough) / (peak.equity - trough)) * 100
  return {
    dailyDrawdownPct: pct(peakToday, equity),
    weeklyDrawdownPct: pct(weekPeak, equity),
    maxDrawdownPct: Math.max(self.maxDrawdownPct, pct(peak.equity, equity)),
    peakEquity: peak.equity,
    currentEquity: equity,
    troughEquity: trough,
    peakEquityToday: peakToday,
    daysSincePeak: Math.max(0, Math.floor((now - peak.at) / Calendar.DAY)),
    peakAt: peak.at,
    recoveryProgressPct: Math.min(100, Math.max(0, recovery))
  }
}

/**
 * Rebuilds the state from the history's extremes and its recent samples (at least the last 7
 * days, in time order): the same state recording the whole history gives.
 */
export const restore = (calendar: Calendar.Calendar, extremes: EquityExtremes, recent: Iterable<EquitySample>): Drawdown => {
  const self = make(calendar)
  for (const s of recent) record(self, { at: s.at, equity: s.equity })
  if (extremes.peak !== null && (self.peak === undefined || extremes.peak.equity >= self.peak.equity)) {
    const recentAfterPeak = self.peak !== undefined && self.peak.at > extremes.peak.at && self.peak.equity === extremes.peak.equity
    if (!recentAfterPeak) {
      self.peak = { at: extremes.peak.at, equity: extremes.peak.equity }
      const t = extremes.trough_since_peak ?? extremes.peak
      self.troughSincePeak = { at: t.at, equity: t.equity }
    }
  }
  self.maxDrawdownPct = Math.max(self.maxDrawdownPct, extremes.max_drawdown_pct)
  self.count = Math.max(self.count, extremes.count)
  return self
}

/** An independent copy. */
export const clone = (self: Drawdown): Drawdown => ({
  ...self,
  window: self.window.slice(self.windowHead),
  windowHead: 0
})

/**
 * The history's extremes after one more sample (what an `EquityHistory` keeps current on
 * append): the peak is the latest sample at the highest equity, the trough the first sample at
 * the lowest equity since that peak, and `max_drawdown_pct` the largest {@link pct} of the
 * running peak seen.
 */
export const advanceExtremes = (current: EquityExtremes, sample: EquitySample): EquityExtremes => {
  const count = current.count + 1
  const peak = current.peak
  if (peak === null || sample.equity >= peak.equity) {
    return { peak: sample, trough_since_peak: sample, max_drawdown_pct: current.max_drawdown_pct, count }
  }
  const trough = current.trough_since_peak
  return {
    peak,
    trough_since_peak: trough === null || sample.equity < trough.equity ? sample : trough,
    max_drawdown_pct: Math.max(current.max_drawdown_pct, pct(peak.equity, sample.equity)),
    count
  }
}

/**
 * {@link EquityExtremes} as the columns of one table row, with the time of the latest sample:
 * the form the SQL histories (SQLite, PostgreSQL) keep them in, updated with every append.
 */
export interface ExtremesColumns {
  sample_count: number
  latest_at: number | null
  peak_at: number | null
  peak_equity: number | null
  peak_cash: number | null
  peak_unrealized_pnl: number | null
  trough_at: number | null
  trough_equity: number | null
  trough_cash: number | null
  trough_unrealized_pnl: number | null
  max_drawdown_pct: number
}

const sampleOf = (at: number | null, equity: number | null, cash: number | null, unrealized_pnl: number | null): EquitySample | null =>
  at === null || equity === null || cash === null || unrealized_pnl === null ? null : { at, equity, cash, unrealized_pnl }

/** The extremes held in a row's {@link ExtremesColumns}. */
export const extremesFromColumns = (row: ExtremesColumns): EquityExtremes => ({
  peak: sampleOf(row.peak_at, row.peak_equity, row.peak_cash, row.peak_unrealized_pnl),
  trough_since_peak: sampleOf(row.trough_at, row.trough_equity, row.trough_cash, row.trough_unrealized_pnl),
  max_drawdown_pct: row.max_drawdown_pct,
  count: row.sample_count
})

/** The {@link ExtremesColumns} of `extremes` after a sample at `latestAt`. */
export const extremesToColumns = (extremes: EquityExtremes, latestAt: number): ExtremesColumns => ({
  sample_count: extremes.count,
  latest_at: latestAt,
  peak_at: extremes.peak?.at ?? null,
  peak_equity: extremes.peak?.equity ?? null,
  peak_cash: extremes.peak?.cash ?? null,
  peak_unrealized_pnl: extremes.peak?.unrealized_pnl ?? null,
  trough_at: extremes.trough_since_peak?.at ?? null,
  trough_equity: extremes.trough_since_peak?.equity ?? null,
  trough_cash: extremes.trough_since_peak?.cash ?? null,
  trough_unrealized_pnl: extremes.trough_since_peak?.unrealized_pnl ?? null,
  max_drawdown_pct: extremes.max_drawdown_pct
})
