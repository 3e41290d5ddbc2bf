/**
 * Keeps the close rollup (`close_rollup`, migration 0006) in the transaction of a commit: the
 * rows the call's closes fall in are read by key (or taken from the rows this connection wrote
 * last), continued with those closes by the core's fold (`CloseRollup.updateKeeping`: a row is
 * folded again from its last checkpoint before a close that comes before its last one, with the
 * stored closes from there, or from its span's start when it has none),
 * and written back — one upsert per row touched, however many closes the call has. The caller
 * holds the transaction, after the closes are inserted.
 *
 * @internal
 */
import { type ClosedTradeRecord, CloseRollup } from "@portfolio/core"
import type BetterSqlite3 from "better-sqlite3"
import type { CloseRollupTable } from "../Tables.js"

/** Keeps the rollup of the closes of a commit. */
export interface RollupWriter {
  /** Updates the rollup for closes just inserted (inside the commit's transaction). */
  readonly write: (closes: ReadonlyArray<ClosedTradeRecord>) => void
  /** Forgets the rows it keeps in memory: call it when the transaction it wrote in rolls back. */
  readonly forget: () => void
}

/** Rows kept in memory at most (the current quarters' and days' of the symbols closed lately), each with up to `CloseRollup.CHECKPOINTS` states. */
const KEPT_ROWS = 1_024

/** The columns of a row, in the order of the upsert's values. */
export const columns = [
  "span",
  "start",
  "symbol",
  "realized_pnl",
  "realized_pnl_c",
  "round_trip_pnl",
  "round_trip_pnl_c",
  "gross_profit",
  "gross_profit_c",
  "gross_loss",
  "gross_loss_c",
  "round_trips",
  "wins",
  "losses",
  "best",
  "worst",
  "first_run",
  "last_run",
  "longest_win",
  "longest_loss",
  "last_closed_at",
  "last_close_id"
] as const satisfies ReadonlyArray<keyof CloseRollupTable>

/** Prepares the statements on `sqlite`. */
export const make = (sqlite: BetterSqlite3.Database): RollupWriter => {
  const select = sqlite.prepare<[number, number, string], CloseRollupTable>(
    `select ${columns.join(", ")} from close_rollup where span = ? and start = ? and symbol = ?`
  )
  const upsert = sqlite.prepare<ReadonlyArray<unknown>>(
    `insert or replace into close_rollup (${columns.join(", ")}) values (${columns.map(() => "?").join(", ")})`
  )
  const closesOfAll = sqlite.prepare<[number, number], CloseRollup.Close>(
    `select close_id, symbol, closed_at, realized_pnl, round_trip_pnl from closed_trades
     where closed_at >= ? and closed_at < ? order by closed_at, close_id`
  )
  const closesOfSymbol = sqlite.prepare<[number, number, string], CloseRollup.Close>(
    `select close_id, symbol, closed_at, realized_pnl, round_trip_pnl from closed_trades
     where closed_at >= ? and closed_at < ? and symbol = ? order by closed_at, close_id`
  )

  // The rows this connection wrote last, so that a commit reads back none of its own: a commit of
  // a few closes touched a score of rows, each read and written. They stand while no other
  // connection writes the file (`data_version` tells) and the transactions they were written in
  // committed (the store calls `forget` on a rollback).
  const dataVersion = sqlite.prepare<[], number>("pragma data_version").pluck()
  // With them their checkpoints (`CloseRollup.KeptRow`): a late close (commits of one millisecond
  // whose ids sort first, a parked close released) refolds from the last one before it, not the
  // row's whole day.
  const kept = new Map<string, CloseRollup.KeptRow>()
  let keptAt: number | undefined
  const read = (k: string, key: CloseRollup.RowKey): CloseRollup.KeptRow | undefined => {
    const known = kept.get(k)
    if (known !== undefined) return known
    const row = select.get(key.span, key.start, key.symbol)
    return row === undefined
      ? undefined
      : { row: { ...row, span: Number(row.span) as CloseRollup.Span, start: Number(row.start), last_closed_at: Number(row.last_closed_at) }, checkpoints: [] }
  }
  return {
    write: (closes) => {
      if (closes.length === 0) return
      const version = dataVersion.get()
      if (version !== keptAt) {
        kept.clear()
        keptAt = version
      }
      const byRow = CloseRollup.byRow(closes)
      const stored = new Map<string, CloseRollup.KeptRow>()
      for (const [k, { key }] of byRow) {
        const row = read(k, key)
        if (row !== undefined) stored.set(k, row)
      }
      const rows = CloseRollup.updateKeeping(stored, byRow, (key, from) =>
        key.symbol === CloseRollup.ALL
          ? closesOfAll.all(from, key.start + key.span)
          : closesOfSymbol.all(from, key.start + key.span, key.symbol))
      if (kept.size + rows.length > KEPT_ROWS) kept.clear()
      for (const next of rows) {
        upsert.run(columns.map((c) => next.row[c]))
        kept.set(CloseRollup.keyOf(next.row), next)
      }
    },
    forget: () => {
      kept.clear()
      keptAt = undefined
    }
  }
}
