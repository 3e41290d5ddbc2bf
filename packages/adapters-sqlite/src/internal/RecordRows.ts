/**
 * Records to rows and back, where they differ: flags are stored as `0 | 1`.
 *
 * @internal
 */
import { type ClosedTradeRecord, closedTradeFields } from "@portfolio/core"
import type { ClosedTradesTable } from "../Tables.js"

/** The columns of `closed_trades` that are the record's fields, for selects. */
export const closeColumns = closedTradeFields

/** A close's row as read back: its record's columns. */
export type CloseRow = Pick<ClosedTradesTable, (typeof closeColumns)[number]>

/** The row of a close. */
export const closeToRow = (close: ClosedTradeRecord): ClosedTradesTable => ({
  close_id: close.close_id,
  trade_id: close.trade_id,
  symbol: close.symbol,
  side: close.side,
  entry_price: close.entry_price,
  exit_price: close.exit_price,
  quantity: close.quantity,
  realized_pnl: close.realized_pnl,
  fees: close.fees,
  opened_at: close.opened_at,
  closed_at: close.closed_at,
  remaining_size: close.remaining_size,
  orphan: close.orphan ? 1 : 0,
  over_close: close.over_close ? 1 : 0,
  round_trip_pnl: close.round_trip_pnl
})

/**
 * Turns freshly read close rows into records in place (they are new objects no one else
 * holds): a full read of a million closes then allocates nothing more.
 */
export const rowsToCloses = (rows: Array<CloseRow>): Array<ClosedTradeRecord> => {
  for (const row of rows) {
    const record = row as unknown as { orphan: boolean; over_close: boolean }
    record.orphan = row.orphan === 1
    record.over_close = row.over_close === 1
  }
  return rows as unknown as Array<ClosedTradeRecord>
}
