/**
 * The typed shape of the database, as kysely sees it: one interface per table. Every table has
 * an `account_id` (the first column of every key and index): several accounts share one
 * database and never see each other's rows. Money and quantities are `double precision`
 * (float64), times are `bigint` epoch milliseconds (read back as numbers), flags are `boolean`.
 *
 * @since 0.1.0
 */
import type { CloseRollup, Drawdown, OrderSide, PositionSide, SymbolCategory } from "@portfolio/core"

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
  readonly realized_buckets: RealizedBucketsTable
  readonly equity_rollup: EquityRollupTable
  readonly daily_marks: DailyMarksTable
  readonly close_rollup: CloseRollupTable
}

/**
 * The closes summed per 15-minute UTC span and per UTC day, for every symbol (`symbol = ''`)
 * and per symbol (migration 0006): the core's `CloseRollupRecord`, kept by every commit. Key
 * `(account_id, span, start, symbol)`.
 */
export type CloseRollupTable = Scoped & {
  -readonly [K in keyof CloseRollup.CloseRollupRecord]: CloseRollup.CloseRollupRecord[K]
}

/** The last saved price of each symbol per UTC day (migration 0005). Key `(account_id, day, symbol)`. */
export interface DailyMarksTable extends Scoped {
  symbol: string
  /** Days since 1970-01-01 UTC. */
  day: number
  price: number
  at: number
}

/**
 * The equity curve per account in 15-minute UTC buckets (migration 0004), kept on every
 * append. Key `(account_id, bucket)` (its start, epoch ms); `samples` is how many it holds.
 */
export interface EquityRollupTable extends Scoped {
  bucket: number
  open: number
  high: number
  low: number
  close: number
  /** Time of the bucket's last sample. */
  close_at: number
  samples: number
}

/** The column every table starts with. */
export interface Scoped {
  /** The account the row belongs to (`PORTFOLIO_ACCOUNT_ID`). */
  account_id: string
}

/** One row per committed event: the idempotency record. Key `(account_id, event_key)`. */
export interface ProcessedEventsTable extends Scoped {
  event_key: string
  event_type: string
  /** Event time. */
  at: number
}

/** Trades still open, with their remaining size. Key `(account_id, trade_id)`. */
export interface OpenTradesTable extends Scoped {
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
 * Every close, whole or partial, and fee records. Key `(account_id, close_id)`; read by
 * `(account_id, closed_at, close_id)`. `round_trip_pnl` (migration 0003): as the core set it.
 */
export interface ClosedTradesTable extends Scoped {
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
  orphan: boolean
  over_close: boolean
  round_trip_pnl: number | null
}

/** Every applied fill. Key `(account_id, fill_key)`; read by `(account_id, executed_at, fill_key)`. */
export interface FillsTable extends Scoped {
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

/** Positions built from fills. Key `(account_id, symbol, side)`. */
export interface NetPositionsTable extends Scoped {
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

/**
 * Equity samples, in time order (appended in time order, so the heap is time-ordered and a
 * BRIN index on `at` serves ranges; a TimescaleDB hypertable when the extension is there).
 * `seq` numbers each account's samples 1, 2, … in append order. Key `(account_id, seq)`
 * (`(account_id, seq, at)` on a hypertable).
 */
export interface EquitySamplesTable extends Scoped {
  seq: number
  at: number
  equity: number
  cash: number
  unrealized_pnl: number
}

/**
 * One row per account of equity extremes, updated in the transaction of every append. Key
 * `account_id`; the store creates an account's row when it starts.
 */
export interface EquityExtremesTable extends Scoped, Drawdown.ExtremesColumns {}

/** The last saved price of each symbol (migration 0002). Key `(account_id, symbol)`. */
export interface LastPricesTable extends Scoped {
  symbol: string
  price: number
  /** Observation time. */
  at: number
}

/**
 * Closes waiting for their trade's open (migration 0003). Key `(account_id, event_key)`;
 * indexed by `(account_id, trade_id)`. `event` is the decoded event as JSON text, kept byte for
 * byte; `parked_at` the service clock.
 */
export interface ParkedClosesTable extends Scoped {
  event_key: string
  trade_id: string
  event: string
  parked_at: number
}

/**
 * The closes of each account summed per 15-minute bucket (migration 0003), kept by the store in
 * the transaction that inserts the closes: what `realizedBuckets` reads at start, in O(buckets).
 * Key `(account_id, bucket_start)`. Each sum is a compensated (Neumaier) accumulator, its running
 * total and its compensation (`…_c`), continued close by close in commit order exactly as the
 * core's `RealizedBuckets.fromCloses` does, so the values are the core's to the last bit.
 */
export interface RealizedBucketsTable extends Scoped {
  /** The bucket's start, epoch ms (the core's `bucketStart`). */
  bucket_start: number
  realized_pnl: number
  realized_pnl_c: number
  fees: number
  fees_c: number
  gross_profit: number
  gross_profit_c: number
  gross_loss: number
  gross_loss_c: number
  round_trips: number
  wins: number
  losses: number
  breakevens: number
  best: number | null
  worst: number | null
}
