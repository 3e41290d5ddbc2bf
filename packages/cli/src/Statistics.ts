/**
 * The figures of a backtest's summary (DESIGN.md §11), computed by core's analytics as the
 * service computes them: daily returns from the equity samples resampled to local daily
 * closes (forward-filled, `EquityCurve`), Sharpe, Sortino, Calmar, annual return and
 * volatility on them (`Analytics`, ddof 1, annualized with `periods_per_year`), the maximum
 * drawdown of the window's samples, the round-trip statistics of `PnlStats` and
 * `TradeAnalytics` (expectancy, payoff, Kelly, streaks). Undefined values are `null`.
 *
 * @since 0.1.0
 */
import { Analytics, Calendar, type EquityCurve, PnlStats, TradeAnalytics } from "@portfolio/core"

/** The equity at the end of one local day (`day`: days since 1970-01-01 in the zone). */
export type DailyClose = EquityCurve.DailyClose

/** Keeps the last equity of each local day, and the window's drawdown, from samples in time order. */
export interface DailyTracker {
  /** A sample inside the window. */
  readonly add: (at: number, equity: number) => void
  readonly closes: () => Array<DailyClose>
  /** Largest peak-to-trough drop of the window's samples, percent of the peak. */
  readonly maxDrawdownPct: () => number
}

/** A tracker of the window's samples in the zone of `calendar`. */
export const dailyTracker = (calendar: Calendar.Calendar): DailyTracker => {
  const closes: Array<DailyClose> = []
  let day = Number.NaN
  let peak = Number.NEGATIVE_INFINITY
  let maxDd = 0
  return {
    add: (at, equity) => {
      const key = Calendar.dayKey(calendar, at)
      if (key === day) closes[closes.length - 1] = { day: key, equity }
      else {
        // Days without a sample close at the last equity (forward-filled, as EquityCurve does).
        const last = closes[closes.length - 1]
        if (last !== undefined) for (let d = day + 1; d < key; d++) closes.push({ day: d, equity: last.equity })
        day = key
        closes.push({ day: key, equity })
      }
      if (equity > peak) peak = equity
      else if (peak > 0) maxDd = Math.max(maxDd, ((peak - equity) / peak) * 100)
    },
    closes: () => closes,
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
  readonly calmar: number | null
  /** Compound annual growth of the daily closes, a fraction. */
  readonly annual_return: number | null
  /** Annualized volatility of the daily returns, a fraction. */
  readonly annual_volatility: number | null
  /** Cumulative return of the window's daily closes, a fraction. */
  readonly cumulative_return: number
  /** Freqtrade's expectancy (mean round-trip PnL), its ratio, the payoff ratio and Kelly fraction. */
  readonly expectancy: number | null
  readonly expectancy_ratio: number | null
  readonly payoff_ratio: number | null
  readonly kelly: number | null
  readonly longest_win_streak: number
  readonly longest_loss_streak: number
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
  readonly maxDrawdownPct: number
  readonly periodsPerYear: number
  /** Round-trip PnLs in the order they closed. */
  readonly roundTrips: Iterable<number>
}): Summary => {
  // As the service's analytics: returns between consecutive daily closes of the window.
  const returns = Analytics.simpleReturns(input.daily.map((c) => c.equity))
  const r = Analytics.statistics(returns, { periodsPerYear: input.periodsPerYear })
  const t = TradeAnalytics.statistics(input.roundTrips)
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
    sharpe: r.sharpe,
    sortino: r.sortino,
    calmar: r.calmar,
    annual_return: r.annualReturn,
    annual_volatility: r.annualVolatility,
    cumulative_return: r.cumulativeReturn,
    expectancy: t.expectancy,
    expectancy_ratio: t.expectancyRatio,
    payoff_ratio: t.payoffRatio,
    kelly: t.kelly,
    longest_win_streak: t.longestWinStreak,
    longest_loss_streak: t.longestLossStreak,
    max_drawdown_pct: input.maxDrawdownPct,
    days: input.daily.length,
    periods_per_year: input.periodsPerYear
  }
}
