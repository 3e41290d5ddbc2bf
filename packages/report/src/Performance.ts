/**
 * The performance of a window, accumulated sample by sample and close by close in bounded
 * memory — what a backtest (`portfolio backtest`) and the report of a stored history
 * (`portfolio report`, `/api/portfolio/report.*`) both compute, the same way the service's
 * analytics do (DESIGN.md §11):
 *
 * - daily closes of the equity samples in the zone (forward-filled over days without one, as
 *   `EquityCurve`), their simple returns, and core's `Analytics` on them (Sharpe, Sortino,
 *   Calmar, annual return and volatility; ddof 1, annualized with `periods_per_year`);
 * - the largest peak-to-trough drop of the samples (percent);
 * - realized PnL, fees and round-trip statistics (`PnlStats`, `TradeAnalytics`: win rate,
 *   profit factor, expectancy, payoff, Kelly, streaks) and the same per symbol;
 * - a thinning of the samples for charts: at most {@link CURVE_POINTS}, halved when full.
 *
 * Memory grows with the days, the symbols and the round trips (one number each), never with
 * the samples or closes streamed through it.
 *
 * @since 0.1.0
 */
import {
  Analytics,
  Calendar,
  type ClosedTradeRecord,
  EquityHistory,
  type EquitySample,
  PnlStats,
  type StoreError,
  type TimeRange,
  TradeAnalytics,
  TradeStore
} from "@portfolio/core"
import { Effect, Stream } from "effect"

/** Chart points kept at most before the curve halves itself. */
export const CURVE_POINTS = 4_000

/** The equity at the end of one local day (`day`: days since 1970-01-01 in the zone). */
export interface DailyClose {
  readonly day: number
  readonly equity: number
}

/** Figures of one symbol in the window. */
export interface SymbolFigures {
  readonly symbol: string
  readonly round_trips: number
  readonly wins: number
  readonly losses: number
  /** Realized PnL, net of fees. */
  readonly realized_pnl: number
  readonly fees: number
}

/** The headline figures of a window. */
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

/** The running accumulation. Mutable; owned by one writer. */
export interface Performance {
  readonly calendar: Calendar.Calendar
  readonly daily: Array<DailyClose>
  readonly stats: PnlStats.PnlStats
  readonly trips: Array<number>
  readonly bySymbol: Map<string, { round_trips: number; wins: number; losses: number; realized: number; fees: number }>
  curve: Array<EquitySample>
  curveStride: number
  samples: number
  peak: number
  maxDrawdownPct: number
  last: EquitySample | undefined
  firstAt: number | undefined
}

/** An empty accumulation for the zone `timeZone`. */
export const make = (timeZone = "UTC"): Performance => {
  const calendar = Calendar.make(timeZone)
  return {
    calendar,
    daily: [],
    stats: PnlStats.make(calendar),
    trips: [],
    bySymbol: new Map(),
    curve: [],
    curveStride: 1,
    samples: 0,
    peak: Number.NEGATIVE_INFINITY,
    maxDrawdownPct: 0,
    last: undefined,
    firstAt: undefined
  }
}

/** Takes one equity sample (in time order). */
export const addSample = (self: Performance, sample: EquitySample): void => {
  const day = Calendar.dayKey(self.calendar, sample.at)
  const daily = self.daily
  const last = daily[daily.length - 1]
  if (last !== undefined && last.day === day) daily[daily.length - 1] = { day, equity: sample.equity }
  else {
    if (last !== undefined) for (let d = last.day + 1; d < day; d++) daily.push({ day: d, equity: last.equity })
    daily.push({ day, equity: sample.equity })
  }
  if (sample.equity > self.peak) self.peak = sample.equity
  else if (self.peak > 0) self.maxDrawdownPct = Math.max(self.maxDrawdownPct, ((self.peak - sample.equity) / self.peak) * 100)
  if (self.samples++ % self.curveStride === 0) {
    self.curve.push(sample)
    if (self.curve.length >= CURVE_POINTS) {
      self.curve = self.curve.filter((_, i) => i % 2 === 0)
      self.curveStride *= 2
    }
  }
  if (self.firstAt === undefined) self.firstAt = sample.at
  self.last = sample
}

/** Takes one close (a realization: partial, full, orphan or fee record). */
export const addClose = (self: Performance, close: ClosedTradeRecord): void => {
  PnlStats.record(self.stats, { at: close.closed_at, realizedPnl: close.realized_pnl, fees: close.fees, roundTripPnl: close.round_trip_pnl })
  let s = self.bySymbol.get(close.symbol)
  if (s === undefined) self.bySymbol.set(close.symbol, (s = { round_trips: 0, wins: 0, losses: 0, realized: 0, fees: 0 }))
  s.realized += close.realized_pnl
  s.fees += close.fees
  if (close.round_trip_pnl !== null) {
    self.trips.push(close.round_trip_pnl)
    s.round_trips++
    if (close.round_trip_pnl > 0) s.wins++
    else if (close.round_trip_pnl < 0) s.losses++
  }
}

/** The chart curve: the thinned samples, the last sample always included. */
export const curve = (self: Performance): Array<EquitySample> => {
  const out = self.curve.slice()
  if (self.last !== undefined && out[out.length - 1] !== self.last) out.push(self.last)
  return out
}

/** The symbols' figures, largest realized PnL first. */
export const symbols = (self: Performance): Array<SymbolFigures> =>
  [...self.bySymbol]
    .map(([symbol, s]) => ({ symbol, round_trips: s.round_trips, wins: s.wins, losses: s.losses, realized_pnl: s.realized, fees: s.fees }))
    .sort((a, b) => b.realized_pnl - a.realized_pnl || (a.symbol < b.symbol ? -1 : 1))

/** The headline figures, with `equity` the window's last equity. */
export const summarize = (self: Performance, equity: number, periodsPerYear: number): Summary => {
  // As the service's analytics: returns between consecutive daily closes of the window.
  const r = Analytics.statistics(Analytics.simpleReturns(self.daily.map((c) => c.equity)), { periodsPerYear })
  const t = TradeAnalytics.statistics(self.trips)
  const w = self.stats
  return {
    equity,
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
    max_drawdown_pct: self.maxDrawdownPct,
    days: self.daily.length,
    periods_per_year: periodsPerYear
  }
}

/** The return of one calendar month: its last daily close against the previous month's. */
export interface MonthlyReturn {
  /** `YYYY-MM` in the zone. */
  readonly month: string
  readonly return: number
}

/** Monthly returns of daily closes: each month's last close against the month before's (the first against the first close). */
export const monthlyReturns = (daily: ReadonlyArray<DailyClose>): Array<MonthlyReturn> => {
  const out: Array<MonthlyReturn> = []
  if (daily.length === 0) return out
  let base = daily[0]!.equity
  let month = Calendar.formatDay(daily[0]!.day).slice(0, 7)
  let close = base
  const flush = () => out.push({ month, return: base === 0 ? 0 : close / base - 1 })
  for (const d of daily) {
    const m = Calendar.formatDay(d.day).slice(0, 7)
    if (m !== month) {
      flush()
      base = close
      month = m
    }
    close = d.equity
  }
  flush()
  return out
}

/** What a report of a stored history is computed with. */
export interface StoreOptions {
  readonly timeZone: string
  readonly periodsPerYear: number
}

/**
 * The performance of the stored history in `range`: the equity samples and the closes
 * streamed from the ports (constant memory whatever the range).
 */
export const fromStores = (
  range: TimeRange,
  options: StoreOptions
): Effect.Effect<Performance, StoreError, TradeStore | EquityHistory> =>
  Effect.gen(function*() {
    const self = make(options.timeZone)
    const history = yield* EquityHistory
    const store = yield* TradeStore
    yield* Stream.runForEachChunk(history.stream(range), (chunk) =>
      Effect.sync(() => {
        for (const s of chunk) addSample(self, s)
      }))
    yield* Stream.runForEachChunk(store.streamCloses(range), (chunk) =>
      Effect.sync(() => {
        for (const c of chunk) addClose(self, c)
      }))
    return self
  })
