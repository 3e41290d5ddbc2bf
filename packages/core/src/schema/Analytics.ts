/**
 * The answers of the history and analytics routes (DESIGN.md §6 "History", "Analytics",
 * "Trades"; §11): snake_case, times as ISO 8601 UTC strings, every figure that can be undefined
 * `null` (never `NaN` or `Infinity`). Fractions are fractions (`-0.25` is a 25 % drawdown);
 * fields ending in `_pct` are percent.
 *
 * @since 0.3.0
 */
import { Schema } from "effect"
import { IsoTime, SymbolCategory } from "./Primitives.js"
import { ClosedTradeRecord } from "./Records.js"
import { PositionInfo } from "./Responses.js"

const Num = Schema.Number
const Int = Schema.Int
const NullableNum = Schema.NullOr(Schema.Number)

/** A look-back window: the last 30 days, 90 days, year, or the whole history. */
export const AnalyticsWindow = Schema.Literal("30d", "90d", "1y", "all").annotations({ identifier: "AnalyticsWindow" })
/** @since 0.3.0 */
export type AnalyticsWindow = typeof AnalyticsWindow.Type

/** One open/high/low/close bucket of the equity curve. */
export const EquityBucket = Schema.Struct({
  start: IsoTime.annotations({ description: "start of the bucket (aligned to a multiple of its size since 1970-01-01 UTC)" }),
  open: Num.annotations({ description: "equity of the bucket's first sample" }),
  high: Num,
  low: Num,
  close: Num.annotations({ description: "equity of the bucket's last sample" }),
  samples: Int
}).annotations({ identifier: "EquityBucket" })
/** @since 0.3.0 */
export type EquityBucket = typeof EquityBucket.Type

/** `GET /api/portfolio/equity`: the mark-to-market equity curve in at most 2 000 buckets. */
export const EquityCurveResponse = Schema.Struct({
  from: Schema.NullOr(IsoTime),
  to: Schema.NullOr(IsoTime),
  resolution_ms: Int.annotations({ description: "bucket size chosen: the requested one, coarsened as needed to stay within 2 000 buckets" }),
  buckets: Schema.Array(EquityBucket)
}).annotations({ identifier: "EquityCurve" })
/** @since 0.3.0 */
export type EquityCurveResponse = typeof EquityCurveResponse.Type

/** One drawdown period: from a peak, through its trough, to its recovery. */
export const DrawdownPeriod = Schema.Struct({
  peak_at: IsoTime,
  peak_equity: Num,
  trough_at: IsoTime,
  trough_equity: Num,
  recovery_at: Schema.NullOr(IsoTime).annotations({ description: "first time back at or above the peak; null while under water" }),
  depth: Num.annotations({ description: "trough / peak − 1 (a fraction ≤ 0)" }),
  length_days: Num.annotations({ description: "days from the peak to the recovery, or to the last point while under water" })
}).annotations({ identifier: "DrawdownPeriod" })
/** @since 0.3.0 */
export type DrawdownPeriod = typeof DrawdownPeriod.Type

/** `GET /api/portfolio/drawdown/history`: the underwater curve and the worst drawdowns. */
export const DrawdownHistoryResponse = Schema.Struct({
  window: AnalyticsWindow,
  resolution_ms: Int.annotations({ description: "bucket size of the curve the drawdowns are measured on (bucket closes)" }),
  max_drawdown: Num.annotations({ description: "deepest drawdown of the window's curve, a fraction ≤ 0" }),
  underwater: Schema.Array(
    Schema.Struct({ at: IsoTime, drawdown: Num.annotations({ description: "equity / running peak − 1" }) })
  ),
  worst: Schema.Array(DrawdownPeriod)
}).annotations({ identifier: "DrawdownHistory" })
/** @since 0.3.0 */
export type DrawdownHistoryResponse = typeof DrawdownHistoryResponse.Type

/** Statistics of the daily returns of the equity curve (DESIGN.md §11). */
export const ReturnStatistics = Schema.Struct({
  days: Int.annotations({ description: "daily returns counted (daily closes in the configured zone − 1)" }),
  cumulative_return: Num,
  annual_return: NullableNum.annotations({ description: "(Π(1 + r))^(periods_per_year / n) − 1" }),
  annual_volatility: NullableNum.annotations({ description: "std(r, ddof 1) × √periods_per_year" }),
  sharpe: NullableNum.annotations({ description: "mean(r) / std(r, ddof 1) × √periods_per_year" }),
  sortino: NullableNum.annotations({ description: "mean(r) × periods_per_year / (√(Σ min(r, 0)² / n) × √periods_per_year)" }),
  calmar: NullableNum.annotations({ description: "annual_return / |max_drawdown|" }),
  max_drawdown: Num.annotations({ description: "of the daily closes, the first one the first peak: a fraction ≤ 0" })
}).annotations({ identifier: "ReturnStatistics" })

/** Statistics of the round trips closed in the window (DESIGN.md §11). */
export const RoundTripStatistics = Schema.Struct({
  trades: Int,
  wins: Int,
  losses: Int,
  breakevens: Int,
  total_pnl: Num,
  win_rate: NullableNum.annotations({ description: "wins / trades, a fraction" }),
  average_win: NullableNum,
  average_loss: NullableNum.annotations({ description: "|Σ losses| / losses, positive" }),
  expectancy: NullableNum.annotations({ description: "win_rate × average_win − loss_rate × average_loss (Freqtrade)" }),
  expectancy_ratio: NullableNum.annotations({ description: "(1 + average_win / average_loss) × win_rate − 1 (Freqtrade)" }),
  payoff_ratio: NullableNum.annotations({ description: "average_win / average_loss" }),
  kelly_fraction: NullableNum.annotations({ description: "W − (1 − W) / R" }),
  longest_win_streak: Int,
  longest_loss_streak: Int
}).annotations({ identifier: "RoundTripStatistics" })

/** `GET /api/portfolio/analytics`: returns and round-trip statistics over a window. */
export const AnalyticsResponse = Schema.Struct({
  window: AnalyticsWindow,
  from: Schema.NullOr(IsoTime),
  to: IsoTime,
  time_zone: Schema.String,
  periods_per_year: Num,
  returns: ReturnStatistics,
  round_trips: RoundTripStatistics
}).annotations({ identifier: "Analytics" })
/** @since 0.3.0 */
export type AnalyticsResponse = typeof AnalyticsResponse.Type

/** PnL and round trips of one group (a period, a heatmap cell, a symbol, a sector). */
const cellFields = {
  pnl: Num.annotations({ description: "Σ net realized PnL of every close (partial ones included)" }),
  trades: Int.annotations({ description: "round trips that ended" }),
  wins: Int,
  win_rate: NullableNum
}

/** A symbol's or a sector's performance. */
export const PerformanceRow = Schema.Struct({ key: Schema.String, ...cellFields }).annotations({ identifier: "PerformanceRow" })

/** `GET /api/portfolio/performance`: realized PnL per symbol and per sector, largest first. */
export const PerformanceResponse = Schema.Struct({
  window: AnalyticsWindow,
  by_symbol: Schema.Array(PerformanceRow),
  by_sector: Schema.Array(PerformanceRow)
}).annotations({ identifier: "Performance" })
/** @since 0.3.0 */
export type PerformanceResponse = typeof PerformanceResponse.Type

/** `GET /api/portfolio/periods`: PnL per local day, week or month, oldest first. */
export const PeriodsResponse = Schema.Struct({
  unit: Schema.Literal("day", "week", "month"),
  time_zone: Schema.String,
  periods: Schema.Array(Schema.Struct({ start: Schema.String.annotations({ description: "first local date, YYYY-MM-DD" }), ...cellFields }))
}).annotations({ identifier: "Periods" })
/** @since 0.3.0 */
export type PeriodsResponse = typeof PeriodsResponse.Type

/** `GET /api/portfolio/heatmap`: PnL per weekday × hour, or per symbol × month. */
export const HeatmapResponse = Schema.Struct({
  by: Schema.Literal("weekday_hour", "symbol_month"),
  time_zone: Schema.String,
  cells: Schema.Array(
    Schema.Struct({
      row: Schema.String.annotations({ description: "Mon … Sun, or the symbol" }),
      column: Schema.String.annotations({ description: "00 … 23, or YYYY-MM" }),
      ...cellFields
    })
  )
}).annotations({ identifier: "Heatmap" })
/** @since 0.3.0 */
export type HeatmapResponse = typeof HeatmapResponse.Type

/** `GET /api/portfolio/risk-buckets`: exposure, share of equity and PnL per category. */
export const RiskBucketsResponse = Schema.Struct({
  equity: Num,
  buckets: Schema.Array(
    Schema.Struct({
      category: SymbolCategory,
      exposure: Num,
      share_of_equity_pct: NullableNum.annotations({ description: "exposure / equity × 100; null when equity ≤ 0" }),
      unrealized_pnl: Num,
      realized_pnl: Num,
      symbols: Schema.Array(Schema.String)
    })
  ),
  timestamp: IsoTime
}).annotations({ identifier: "RiskBuckets" })
/** @since 0.3.0 */
export type RiskBucketsResponse = typeof RiskBucketsResponse.Type

/** `GET /api/portfolio/trades`: open positions, or one page of closes (oldest first). */
export const TradesPage = Schema.Struct({
  status: Schema.Literal("open", "closed"),
  open: Schema.Array(PositionInfo),
  closed: Schema.Array(ClosedTradeRecord),
  next_cursor: Schema.NullOr(Schema.String).annotations({ description: "pass as `cursor` for the next page; null on the last" })
}).annotations({ identifier: "TradesPage" })
/** @since 0.3.0 */
export type TradesPage = typeof TradesPage.Type

/**
 * The last price of a symbol on one UTC day (kept by `TradeStore.saveMarks`), what the
 * correlation of daily returns reads. Key `(symbol, day)`.
 */
export const DailyMarkRecord = Schema.Struct({
  symbol: Schema.String,
  day: Int.annotations({ description: "UTC day: days since 1970-01-01" }),
  price: Num,
  at: Num.annotations({ description: "when that price was seen (epoch ms)" })
}).annotations({ identifier: "DailyMarkRecord" })
/** @since 0.3.0 */
export type DailyMarkRecord = typeof DailyMarkRecord.Type

/** `GET /api/portfolio/correlation`: Pearson correlation of daily returns. */
export const CorrelationResponse = Schema.Struct({
  window: AnalyticsWindow,
  days: Int.annotations({ description: "UTC days of marks in the window" }),
  symbols: Schema.Array(Schema.String),
  by_symbol: Schema.Array(Schema.Array(NullableNum)).annotations({ description: "by_symbol[i][j]: correlation of symbols[i] and symbols[j]; null when undefined" }),
  sectors: Schema.Array(Schema.String),
  by_sector: Schema.Array(Schema.Array(NullableNum)).annotations({ description: "of each sector's equal-weight mean daily return of its symbols" })
}).annotations({ identifier: "Correlation" })
/** @since 0.3.0 */
export type CorrelationResponse = typeof CorrelationResponse.Type
