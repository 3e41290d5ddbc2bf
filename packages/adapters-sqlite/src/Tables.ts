/**
 * The typed shape of the database, as kysely sees it: one interface per table. Money and
 * quantities are float64 (`double precision`, REAL in SQLite), times are epoch milliseconds
 * (`bigint`, INTEGER in SQLite), flags are `0 | 1`.
 *
 * @since 0.1.0
 */
import type { CloseRollup, Drawdown, PositionSide, OrderSide, SymbolCategory } from "@portfolio/core"

/** Every table of the store, keyed by table name. */
export interface Database {
  readonly processed_events: ProcessedEventsTable
  readonly open_trades: OpenTradesTable
  readonly closed_trades: ClosedTradesTable
  readonly fills: FillsTable
  readonly net_positions: NetPositionsTable
  readonly equity_samples: EquitySamplesTable
  readonly equity_extremes: EquityExtremesTable
  readonly last_prices: LastPricesTable
  readonly parked_closes: ParkedClosesTable
  readonly equity_rollup: EquityRollupTable
  readonly daily_marks: DailyMarksTable
  readonly close_rollup: CloseRollupTable
}

/**
 * The closes summed per 15-minute UTC span and per UTC day, for every symbol (`symbol = ''`)
 * and per symbol (migration 0006): the core's `CloseRollupRecord`, kept by every commit. Key
 * `(span, start, symbol)`.
 */
export type CloseRollupTable = {
  -readonly [K in keyof CloseRollup.CloseRollupRecord]: CloseRollup.CloseRollupRecord[K]
}

/** The last saved price of each symbol per UTC day (migration 0005). Key `(day, symbol)`. */
export interface DailyMarksTable {
  symbol: string
  /** Days since 1970-01-01 UTC. */
  day: number
  price: number
  at: number
}

/**
 * The equity curve in 15-minute UTC buckets (migration 0004), kept on every append. Key
 * `bucket` (its start, epoch ms); `samples` is how many samples it holds.
 */
export interface EquityRollupTable {
  bucket: number
  open: number
  high: number
  low: number
  close: number
  samples: number
}

/**
 * Closes waiting for their trade's open (migration 0003). Key `event_key`; indexed by
 * `trade_id`. `event` is the decoded event as JSON; `parked_at` the service clock.
 */
export interface ParkedClosesTable {
  event_key: string
  trade_id: string
  event: string
  parked_at: number
}

/** The last saved price of each symbol. Key `symbol`. */
export interface LastPricesTable {
  symbol: string
  price: number
  /** Observation time. */
  at: number
}

/** One row per committed event: the idempotency record. Key `event_key`. */
export interface ProcessedEventsTable {
  event_key: string
  event_type: string
  /** Event time. */
  at: number
}

/** Trades still open, with their remaining size. Key `trade_id`. */
export interface OpenTradesTable {
  trade_id: string
  symbol: string
  side: PositionSide
  entry_price: number
  size: number
  original_size: number
  leverage: number
  category: SymbolCategory | null
  opened_at: number
  realized_pnl: number
  fees: number
  updated_at: number
}

/**
 * Every close, whole or partial, and fee records. Key `close_id`; read by `(closed_at, close_id)`.
 * `round_trip_pnl` (migration 0003): the record's, as the core set it (the round trip's PnL on
 * the close that ends one, else null).
 */
export interface ClosedTradesTable {
  close_id: string
  trade_id: string
  symbol: string
  side: PositionSide
  entry_price: number | null
  exit_price: number
  quantity: number
  realized_pnl: number
  fees: number
  opened_at: number | null
  closed_at: number
  remaining_size: number
  orphan: 0 | 1
  over_close: 0 | 1
  round_trip_pnl: number | null
}

/** Every applied fill. Key `fill_key`; read by `(executed_at, fill_key)`. */
export interface FillsTable {
  fill_key: string
  order_id: string
  fill_id: string | null
  symbol: string
  side: OrderSide
  position_side: PositionSide
  quantity: number
  price: number
  fee: number
  realized_pnl: number
  executed_at: number
}

/** Positions built from fills. Key `(symbol, side)`. */
export interface NetPositionsTable {
  symbol: string
  side: PositionSide
  size: number
  entry_price: number
  leverage: number
  opened_at: number
  realized_pnl: number
  fees: number
  updated_at: number
}

/** Equity samples; `seq` numbers them 1, 2, … in append order. Read by `(at, seq)`. */
export interface EquitySamplesTable {
  seq: number
  at: number
  equity: number
  cash: number
  unrealized_pnl: number
}

/**
 * The one row (`id = 1`) of equity extremes, updated in the transaction of every append: the
 * sample count, the latest time, the peak sample, the trough sample since it, the max drawdown.
 */
export interface EquityExtremesTable extends Drawdown.ExtremesColumns {
  id: number
}
