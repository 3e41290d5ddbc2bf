/**
 * Migration 0006: the close rollup (`close_rollup`, the core's `CloseRollup`), the closes
 * summed per 15-minute UTC span and per UTC day, for every symbol together (`symbol = ''`) and
 * per symbol: realized PnL, round-trip PnL, gross profit and loss (each a compensated sum, total
 * and compensation), round trips, wins, losses, best, worst, the round trips' runs, and the last
 * close folded in. Key `(span, start, symbol)`. The analytics' trade figures read it instead of
 * the closes; every commit keeps it in its transaction.
 *
 * Backfilled here, once, from the closes already stored, in `(closed_at, close_id)` order, by
 * the core's fold (`CloseRollup.advance`): the rows must be those the commits keep, to the last
 * bit, so the rule is the core's own rather than a copy that could drift from it.
 *
 * Portable DDL (a partial index: SQLite ≥ 3.8, PostgreSQL). Append-only: never edited once released.
 *
 * @since 0.3.0
 */
import { CloseRollup } from "@portfolio/core"
import { type Kysely, sql } from "kysely"

/** Closes read per page of the backfill. */
const PAGE = 50_000

/** Creates and backfills `close_rollup`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("close_rollup")
    .addColumn("span", "integer", (c) => c.notNull())
    .addColumn("start", "bigint", (c) => c.notNull())
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("realized_pnl", "double precision", (c) => c.notNull())
    .addColumn("realized_pnl_c", "double precision", (c) => c.notNull())
    .addColumn("round_trip_pnl", "double precision", (c) => c.notNull())
    .addColumn("round_trip_pnl_c", "double precision", (c) => c.notNull())
    .addColumn("gross_profit", "double precision", (c) => c.notNull())
    .addColumn("gross_profit_c", "double precision", (c) => c.notNull())
    .addColumn("gross_loss", "double precision", (c) => c.notNull())
    .addColumn("gross_loss_c", "double precision", (c) => c.notNull())
    .addColumn("round_trips", "integer", (c) => c.notNull())
    .addColumn("wins", "integer", (c) => c.notNull())
    .addColumn("losses", "integer", (c) => c.notNull())
    .addColumn("best", "double precision")
    .addColumn("worst", "double precision")
    .addColumn("first_run", "integer", (c) => c.notNull())
    .addColumn("last_run", "integer", (c) => c.notNull())
    .addColumn("longest_win", "integer", (c) => c.notNull())
    .addColumn("longest_loss", "integer", (c) => c.notNull())
    .addColumn("last_closed_at", "bigint", (c) => c.notNull())
    .addColumn("last_close_id", "text", (c) => c.notNull())
    .addPrimaryKeyConstraint("close_rollup_pkey", ["span", "start", "symbol"])
    .execute()
  // The rows of every symbol, with what their totals sum: a year of 15-minute rows grouped by
  // hour of the week reads this index alone, not the per-symbol rows between them.
  await sql`create index close_rollup_all on close_rollup (span, start, realized_pnl, realized_pnl_c, round_trips, wins) where symbol = ''`.execute(db)
  await backfill(db)
}

/**
 * Folds the stored closes into rows, a page at a time; a row is written once the closes have
 * passed its span (they come in time order), so memory holds the open spans only.
 */
export const backfill = async (db: Kysely<any>, pageSize = PAGE): Promise<void> => {
  const open = new Map<string, CloseRollup.CloseRollupRecord>()
  const flush = async (before: number) => {
    const done = [...open.entries()].filter(([, row]) => row.start + row.span <= before)
    for (let i = 0; i < done.length; i += 500) {
      await db.insertInto("close_rollup").values(done.slice(i, i + 500).map(([, row]) => row)).execute()
    }
    for (const [key] of done) open.delete(key)
  }
  let after: { closed_at: number; close_id: string } | undefined
  for (;;) {
    const page: Array<CloseRollup.Close> = await db
      .selectFrom("closed_trades")
      .select(["close_id", "symbol", "closed_at", "realized_pnl", "round_trip_pnl"])
      .$if(after !== undefined, (q) => q.where(sql<boolean>`(closed_at, close_id) > (${after?.closed_at}, ${after?.close_id})`))
      .orderBy("closed_at")
      .orderBy("close_id")
      .limit(pageSize)
      .execute()
    for (const row of page) {
      const close = { ...row, closed_at: Number(row.closed_at) }
      for (const key of CloseRollup.keysOf(close)) {
        const k = CloseRollup.keyOf(key)
        open.set(k, CloseRollup.advance(open.get(k) ?? CloseRollup.empty(key.span, key.start, key.symbol), [close]))
      }
      after = { closed_at: close.closed_at, close_id: close.close_id }
    }
    if (page.length < pageSize) break
    await flush(after!.closed_at - (after!.closed_at % CloseRollup.DAY))
  }
  await flush(Number.POSITIVE_INFINITY)
}
