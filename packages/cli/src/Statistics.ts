/**
 * The figures of a backtest's summary (DESIGN.md §11): daily returns from the equity samples
 * resampled to local daily closes, Sharpe and Sortino on them (ddof 1, annualized with
 * `periods_per_year`), the maximum drawdown of the window's samples, and the round-trip
 * statistics of core's `PnlStats`. Undefined values (too few days, no deviation) are `null`.
 *
 * @since 0.1.0
 */
import { Calendar, PnlStats } from "@portfolio/core"

/** The equity at the end of one local day. */
export interface DailyClose {
  /** The local day, `YYYY-MM-DD`. */
  readonly day: string
  readonly equity: number
}

/** A deviation this close to zero makes Sharpe and Sortino undefined (DESIGN.md §3, dust). */
export const ZERO_DEVIATION = 1e-12

/** Mean of the values. */
const mean = (xs: ReadonlyArray<number>): number => xs.reduce((a, b) => a + b, 0) / xs.length

/** Sample standard deviation (ddof 1); `null` with fewer than two values. */
export const stdev = (xs: ReadonlyArray<number>): number | null => {
  if (xs.length < 2) return null
  const m = mean(xs)
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1))
}

/** `mean(r) / stdev(r) × √periodsPerYear`; `null` with fewer than two returns or no deviation. */
export const sharpe = (returns: ReadonlyArray<number>, periodsPerYear: number): number | null => {
  const sd = stdev(returns)
  if (sd === null || sd < ZERO_DEVIATION) return null
  return (mean(returns) / sd) * Math.sqrt(periodsPerYear)
}

/**
 * `mean(r) / downside × √periodsPerYear`, downside `= √mean(min(r, 0)²)` (empyrical's
 * `sortino_ratio` with no required return); `null` with fewer than two returns or no downside.
 */
export const sortino = (returns: ReadonlyArray<number>, periodsPerYear: number): number | null => {
  if (returns.length < 2) return null
  const downside = Math.sqrt(mean(returns.map((r) => (r < 0 ? r * r : 0))))
  if (downside < ZERO_DEVIATION) return null
  return (mean(returns) / downside) * Math.sqrt(periodsPerYear)
}

/** Daily simple returns of consecutive closes, the first against `opening`. */
export const dailyReturns = (opening: number, closes: ReadonlyArray<DailyClose>): Array<number> => {
  const out: Array<number> = []
  let previous = opening
  for (const c of closes) {
    if (previous !== 0) out.push(c.equity / previous - 1)
    previous = c.equity
  }
  return out
}

/** Keeps the last equity of each local day, and the window's drawdown, from samples in time order. */
export interface DailyTracker {
  /** A sample before the window: sets the opening equity the first return is measured from. */
  readonly before: (at: number, equity: number) => void
  /** A sample inside the window. */
  readonly add: (at: number, equity: number) => void
  readonly closes: () => Array<DailyClose>
  readonly opening: () => number
  /** Largest peak-to-trough drop of the window's samples, percent of the peak. */
  readonly maxDrawdownPct: () => number
}

/** A tracker whose opening equity is `initialCash` until a sample before the window says otherwise. */
export const dailyTracker = (calendar: Calendar.Calendar, initialCash: number): DailyTracker => {
  const closes: Array<DailyClose> = []
  let day = Number.NaN
  let opening = initialCash
  let peak = Number.NEGATIVE_INFINITY
  let maxDd = 0
  return {
    before: (_at, equity) => {
      opening = equity
    },
    add: (at, equity) => {
      const key = Calendar.dayKey(calendar, at)
      if (key === day) closes[closes.length - 1] = { day: Calendar.formatDay(key), equity }
      else {
        day = key
        closes.push({ day: Calendar.formatDay(key), equity })
      }
      if (equity > peak) peak = equity
      else if (peak > 0) maxDd = Math.max(maxDd, ((peak - equity) / peak) * 100)
    },
    closes: () => closes,
    opening: () => opening,
    maxDrawdownPct: () => maxDd
  }
}

/** The summary table's figures. */
export interface Summary {
  readonly equity: number
  /** Realized PnL in the window, net of fees. */
  readonly realized_pnl: number
  readonly fees: number
  readonly round_trips: number
  readonly wins: number
  readonly losses: number
  readonly breakevens: number
  /** wins / round trips, a fraction (0 when none). */
  readonly win_rate: number
  /** gross profit / |gross loss| of round trips, with core's sentinel when there is no loss. */
  readonly profit_factor: number
  readonly best_trade: number
  readonly worst_trade: number
  readonly sharpe: number | null
  readonly sortino: number | null
  /** Largest peak-to-trough drop of the window's equity samples, percent. */
  readonly max_drawdown_pct: number
  readonly days: number
  readonly periods_per_year: number
}

/** The summary of a window. */
export const summarize = (input: {
  readonly equity: number
  readonly window: PnlStats.PnlStats
  readonly daily: ReadonlyArray<DailyClose>
  readonly opening: number
  readonly maxDrawdownPct: number
  readonly periodsPerYear: number
}): Summary => {
  const returns = dailyReturns(input.opening, input.daily)
  const w = input.window
  return {
    equity: input.equity,
    realized_pnl: PnlStats.total(w),
    fees: w.fees.total + w.fees.compensation,
    round_trips: w.closes,
    wins: w.wins,
    losses: w.losses,
    breakevens: w.breakevens,
    win_rate: PnlStats.winRate(w),
    profit_factor: PnlStats.profitFactor(w),
    best_trade: w.best,
    worst_trade: w.worst,
    sharpe: sharpe(returns, input.periodsPerYear),
    sortino: sortino(returns, input.periodsPerYear),
    max_drawdown_pct: input.maxDrawdownPct,
    days: input.daily.length,
    periods_per_year: input.periodsPerYear
  }
}
