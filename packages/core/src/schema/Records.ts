/**
 * The records the service stores: open trades, closes, fills, net positions (fills mode) and
 * equity samples. Times are epoch milliseconds UTC. Store adapters map them to their tables;
 * the memory store keeps them as they are.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { OrderSide, PositionSide, SymbolCategory } from "./Primitives.js"

const Num = Schema.Number

/** A trade that is (still) open, with its remaining size. Keyed by `trade_id`. */
export const OpenTradeRecord = Schema.Struct({
  trade_id: Schema.String,
  symbol: Schema.String,
  side: PositionSide,
  entry_price: Num,
  size: Num.annotations({ description: "remaining size" }),
  original_size: Num,
  leverage: Num,
  category: Schema.NullOr(SymbolCategory),
  opened_at: Num,
  realized_pnl: Num.annotations({ description: "realized PnL of partial closes so far, net of fees" }),
  fees: Num,
  updated_at: Num
}).annotations({ identifier: "OpenTradeRecord" })
/** @since 0.1.0 */
export type OpenTradeRecord = typeof OpenTradeRecord.Type

/**
 * One close (whole or partial) of a trade, or the realizing part of a fill in fills mode.
 * Keyed by `close_id`, unique per close.
 */
export const ClosedTradeRecord = Schema.Struct({
  close_id: Schema.String,
  trade_id: Schema.String,
  symbol: Schema.String,
  side: PositionSide,
  entry_price: Schema.NullOr(Num),
  exit_price: Num,
  quantity: Num,
  realized_pnl: Num.annotations({ description: "net of fees" }),
  fees: Num,
  opened_at: Schema.NullOr(Num),
  closed_at: Num,
  remaining_size: Num,
  orphan: Schema.Boolean.annotations({ description: "the trade_id was not open" }),
  over_close: Schema.Boolean.annotations({ description: "more was closed than remained" }),
  round_trip_pnl: Schema.NullOr(Num).annotations({
    description:
      "on the close that ends a round trip (the trade fully closed; a fills-mode position flat or flipped; an orphan close): the round trip's PnL, Σ its closes' net PnL − its opening fees (0 when within dust of 0: a break-even); null otherwise"
  })
}).annotations({ identifier: "ClosedTradeRecord" })
/** @since 0.1.0 */
export type ClosedTradeRecord = typeof ClosedTradeRecord.Type

/**
 * The fields of a {@link ClosedTradeRecord} in the schema's order: the columns the stores read
 * a close back with, and those an export or a backtest writes it with.
 */
export const closedTradeFields = [
  "close_id",
  "trade_id",
  "symbol",
  "side",
  "entry_price",
  "exit_price",
  "quantity",
  "realized_pnl",
  "fees",
  "opened_at",
  "closed_at",
  "remaining_size",
  "orphan",
  "over_close",
  "round_trip_pnl"
] as const satisfies ReadonlyArray<keyof ClosedTradeRecord>

/** One applied exchange fill. Keyed by `fill_key` (`order_id` plus `fill_id` when given). */
export const FillRecord = Schema.Struct({
  fill_key: Schema.String,
  order_id: Schema.String,
  fill_id: Schema.NullOr(Schema.String),
  symbol: Schema.String,
  side: OrderSide,
  position_side: PositionSide,
  quantity: Num,
  price: Num,
  fee: Num,
  realized_pnl: Num,
  executed_at: Num
}).annotations({ identifier: "FillRecord" })
/** @since 0.1.0 */
export type FillRecord = typeof FillRecord.Type

/** A position built from fills (fills mode), keyed by `(symbol, side)`. */
export const NetPositionRecord = Schema.Struct({
  symbol: Schema.String,
  side: PositionSide,
  size: Num,
  entry_price: Num,
  leverage: Num,
  opened_at: Num,
  realized_pnl: Num,
  fees: Num,
  updated_at: Num
}).annotations({ identifier: "NetPositionRecord" })
/** @since 0.1.0 */
export type NetPositionRecord = typeof NetPositionRecord.Type

/** One equity sample, recorded at every snapshot. */
export const EquitySample = Schema.Struct({
  at: Num,
  equity: Num,
  cash: Num,
  unrealized_pnl: Num
}).annotations({ identifier: "EquitySample" })
/** @since 0.1.0 */
export type EquitySample = typeof EquitySample.Type

/**
 * What the drawdown needs from the whole equity history, so a restart does not replay every
 * sample: the all-time peak, the lowest sample since it, and the largest peak-to-trough drop.
 * `null` samples when the history is empty.
 */
export const EquityExtremes = Schema.Struct({
  peak: Schema.NullOr(EquitySample),
  trough_since_peak: Schema.NullOr(EquitySample),
  max_drawdown_pct: Num,
  count: Schema.Int
}).annotations({ identifier: "EquityExtremes" })
/** @since 0.1.0 */
export type EquityExtremes = typeof EquityExtremes.Type

/** The width of the buckets the realized PnL is restored from: 15 minutes of UTC time. */
export const REALIZED_BUCKET_MS = 15 * 60_000

/**
 * The closes of one 15-minute UTC bucket, summed: what the PnL windows and trade statistics are
 * rebuilt from at start, without reading every close. Every time zone's day starts on a
 * 15-minute boundary of UTC, so a bucket never straddles a local day. `start` is the bucket's
 * first millisecond. `realized_pnl` and `fees` sum every realization (the windows); the rest
 * are statistics of the **round trips** that ended in the bucket (closes with a
 * `round_trip_pnl`): their count, wins (> 0), losses (< 0), break-evens (= 0), best, worst,
 * gross profit and gross loss (for the profit factor).
 */
export const RealizedBucket = Schema.Struct({
  start: Num,
  realized_pnl: Num,
  fees: Num,
  gross_profit: Num,
  gross_loss: Num,
  round_trips: Schema.Int,
  wins: Schema.Int,
  losses: Schema.Int,
  breakevens: Schema.Int,
  best: Schema.NullOr(Num),
  worst: Schema.NullOr(Num)
}).annotations({ identifier: "RealizedBucket" })
/** @since 0.1.0 */
export type RealizedBucket = typeof RealizedBucket.Type

/** The last price of a symbol, saved so a restart marks positions as they were. */
export const MarkRecord = Schema.Struct({
  symbol: Schema.String,
  price: Num,
  at: Num
}).annotations({ identifier: "MarkRecord" })
/** @since 0.1.0 */
export type MarkRecord = typeof MarkRecord.Type

/**
 * A `trade.closed` whose trade is not open yet, kept durably until its `trade.opened` arrives
 * (then both apply, in order) or until the orphan grace passes (then it applies as an orphan
 * close) — DESIGN.md §3. `event` is the decoded event as JSON (`type`, `payload`, `at`,
 * `traceId`, `correlationId`, `source`), so a restart resumes exactly where it was.
 */
export const ParkedCloseRecord = Schema.Struct({
  /** The close's processed-event id (stored as processed when parked: a redelivery is a duplicate). */
  event_key: Schema.String,
  trade_id: Schema.String,
  /** The decoded `trade.closed` event, JSON. */
  event: Schema.String,
  /** Service clock (epoch ms) when it was parked: the grace runs from here. */
  parked_at: Num
}).annotations({ identifier: "ParkedCloseRecord" })
/** @since 0.2.0 */
export type ParkedCloseRecord = typeof ParkedCloseRecord.Type
