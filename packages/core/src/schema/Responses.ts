/**
 * The shapes the service answers with and publishes: the seed's `PortfolioSnapshot`,
 * `PositionInfo`, `PnLBreakdown`, `ExposureBreakdown`, `DrawdownMetrics` and `ServiceHealth`,
 * each a superset of the original fields. snake_case, JSON numbers, never `NaN`/`Infinity`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { IsoTime, PositionSide, SymbolCategory } from "./Primitives.js"

const Num = Schema.Number
const Int = Schema.Int

/**
 * One open trade as the snapshot reports it (one per `trade_id`; in fills mode one per
 * `(symbol, position_side)` with a synthetic `trade_id`).
 */
export const PositionInfo = Schema.Struct({
  trade_id: Schema.String,
  symbol: Schema.String,
  side: PositionSide,
  size: Num,
  entry_price: Num,
  current_price: Num,
  unrealized_pnl: Num.annotations({ description: "(mark − entry) × size for LONG, (entry − mark) × size for SHORT" }),
  unrealized_pnl_pct: Num.annotations({ description: "unrealized_pnl / (entry × size) × 100 — percent, not a fraction" }),
  roe_pct: Num.annotations({ description: "unrealized_pnl_pct × leverage: return on margin, as exchanges show it" }),
  exposure: Num.annotations({ description: "size × current_price" }),
  leverage: Num,
  category: SymbolCategory,
  sector: Schema.String,
  opened_at: IsoTime,
  realized_pnl: Num.annotations({ description: "realized PnL of this trade's partial closes so far" }),
  price_stale: Schema.Boolean.annotations({ description: "true when no price has been seen for the symbol: marked at entry" })
}).annotations({ identifier: "PositionInfo" })
/** @since 0.1.0 */
export type PositionInfo = typeof PositionInfo.Type

/** The net view of one `(symbol, side)`: size = Σ sizes, entry = size-weighted average entry. */
export const NetPosition = Schema.Struct({
  symbol: Schema.String,
  side: PositionSide,
  size: Num,
  entry_price: Num,
  current_price: Num,
  unrealized_pnl: Num,
  exposure: Num,
  num_trades: Int
}).annotations({ identifier: "NetPosition" })
/** @since 0.1.0 */
export type NetPosition = typeof NetPosition.Type

/** The current portfolio state. */
export const PortfolioSnapshot = Schema.Struct({
  total_equity: Num.annotations({ description: "cash_balance + unrealized_pnl" }),
  cash_balance: Num,
  total_exposure: Num,
  num_positions: Int,
  positions: Schema.Array(PositionInfo),
  unrealized_pnl: Num,
  realized_pnl_today: Num,
  realized_pnl_total: Num,
  daily_pnl: Num.annotations({ description: "realized_pnl_today + unrealized_pnl" }),
  daily_drawdown_pct: Num,
  exposure_pct_of_equity: Num,
  timestamp: IsoTime,
  cash_stale_since: Schema.optional(
    IsoTime.annotations({
      description:
        "absent when cash_balance is fresh; while the exchange balance cannot be read, the time of the first failed read since the last good one (cash_balance is then the last known)"
    })
  )
}).annotations({ identifier: "PortfolioSnapshot" })
/** @since 0.1.0 */
export type PortfolioSnapshot = typeof PortfolioSnapshot.Type

/** Realized and unrealized PnL with trade statistics. */
export const PnLBreakdown = Schema.Struct({
  realized_pnl_today: Num,
  realized_pnl_week: Num,
  realized_pnl_month: Num,
  realized_pnl_total: Num,
  unrealized_pnl: Num,
  total_pnl: Num.annotations({ description: "realized_pnl_today + unrealized_pnl" }),
  win_rate: Num.annotations({ description: "wins / closed trades, a fraction in [0, 1]; 0 when none" }),
  profit_factor: Num.annotations({
    description:
      "gross profit / |gross loss|; 0 when there is no profit; 1e6 (the documented sentinel PROFIT_FACTOR_NO_LOSSES) when there are profits and no losses, and the value is capped there"
  }),
  num_closed_trades: Int.annotations({ description: "round trips ended: a trade from open to fully closed (fills mode: a position from flat to flat); an orphan close is one of its own" }),
  num_winning_trades: Int.annotations({ description: "round trips with PnL > 0" }),
  num_losing_trades: Int.annotations({ description: "round trips with PnL < 0" }),
  num_breakeven_trades: Int.annotations({ description: "round trips with PnL 0 (within 1e-9 of their entry notional)" }),
  gross_profit: Num.annotations({ description: "Σ PnL of the winning round trips" }),
  gross_loss: Num.annotations({ description: "Σ |PnL| of the losing round trips" }),
  fees_total: Num.annotations({ description: "every fee realized, opening and closing" }),
  best_trade_pnl: Num.annotations({ description: "PnL of the best round trip (0 when none)" }),
  worst_trade_pnl: Num.annotations({ description: "PnL of the worst round trip (0 when none)" }),
  timestamp: IsoTime
}).annotations({ identifier: "PnLBreakdown" })
/** @since 0.1.0 */
export type PnLBreakdown = typeof PnLBreakdown.Type

/** Notional exposure: long, short, net, by symbol and by sector. */
export const ExposureBreakdown = Schema.Struct({
  total_exposure: Num,
  long_exposure: Num,
  short_exposure: Num,
  net_exposure: Num.annotations({ description: "long_exposure − short_exposure" }),
  exposure_by_symbol: Schema.Record({ key: Schema.String, value: Num }),
  exposure_by_sector: Schema.Record({ key: Schema.String, value: Num }),
  exposure_by_category: Schema.Record({ key: Schema.String, value: Num }).annotations({
    description: "exposure per risk bucket — CORE, EXPANSION, MONITORING, TOXIC, each present (0 when empty); a symbol's bucket from PORTFOLIO_CATEGORIES, else PORTFOLIO_DEFAULT_CATEGORY"
  }),
  exposure_pct_of_equity: Num,
  timestamp: IsoTime
}).annotations({ identifier: "ExposureBreakdown" })
/** @since 0.1.0 */
export type ExposureBreakdown = typeof ExposureBreakdown.Type

/** Drawdown from the equity history. All percentages are in [0, 100]. */
export const DrawdownMetrics = Schema.Struct({
  daily_drawdown_pct: Num,
  weekly_drawdown_pct: Num,
  max_drawdown_pct: Num,
  peak_equity: Num,
  current_equity: Num,
  trough_equity: Num,
  peak_equity_today: Num,
  days_since_peak: Int.annotations({ description: "whole days since the peak (an integer, as the original's model)" }),
  peak_at: IsoTime.annotations({ description: "when the all-time peak was observed" }),
  recovery_progress_pct: Num,
  timestamp: IsoTime
}).annotations({ identifier: "DrawdownMetrics" })
/** @since 0.1.0 */
export type DrawdownMetrics = typeof DrawdownMetrics.Type

/** The state of one component of the service. */
export const ComponentStatus = Schema.Literal("ok", "degraded", "down").annotations({ identifier: "ComponentStatus" })
/** @since 0.1.0 */
export type ComponentStatus = typeof ComponentStatus.Type

/** One component's health. */
export const ComponentHealth = Schema.Struct({
  status: ComponentStatus,
  required: Schema.Boolean,
  message: Schema.String,
  details: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}).annotations({ identifier: "ComponentHealth" })
/** @since 0.1.0 */
export type ComponentHealth = typeof ComponentHealth.Type

/** Counters of events, per event type. */
export const EventCounters = Schema.Struct({
  processed: Schema.Record({ key: Schema.String, value: Int }),
  duplicates: Schema.Record({ key: Schema.String, value: Int }),
  /** Valid events without effect, e.g. a price older than the symbol's last. */
  ignored: Schema.Record({ key: Schema.String, value: Int }),
  /** Closes parked because their trade was not open yet (each counted once, whatever became of it). */
  parked: Schema.Record({ key: Schema.String, value: Int }),
  rejected: Schema.Record({ key: Schema.String, value: Int }),
  /** Valid events that could not be applied after every retry (the store kept failing), dead-lettered. */
  failed: Schema.Record({ key: Schema.String, value: Int }),
  orphan_closes: Int,
  over_closes: Int,
  /** Closes waiting for their trade's open right now (DESIGN.md §3). */
  parked_closes: Int,
  /** Fees charged in another asset with no mark to convert them at yet, per asset: out of cash and PnL. */
  unconverted_fees: Schema.Record({ key: Schema.String, value: Num })
}).annotations({ identifier: "EventCounters" })
/** @since 0.1.0 */
export type EventCounters = typeof EventCounters.Type

/** The service's health: `down` when a required component is down. */
export const ServiceHealth = Schema.Struct({
  service: Schema.String,
  status: ComponentStatus,
  version: Schema.String,
  uptime_seconds: Num,
  components: Schema.Record({ key: Schema.String, value: ComponentHealth }),
  events: EventCounters,
  last_snapshot_at: Schema.NullOr(IsoTime),
  timestamp: IsoTime
}).annotations({ identifier: "ServiceHealth" })
/** @since 0.1.0 */
export type ServiceHealth = typeof ServiceHealth.Type
