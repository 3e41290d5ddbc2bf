/**
 * Migration 0003: parked closes, and the trade-close flag of closes.
 *
 * - `parked_closes`: a `trade.closed` whose trade is not open yet, kept until its
 *   `trade.opened` arrives or the orphan grace passes (DESIGN.md §3), so a restart resumes the
 *   wait. Key `event_key`; indexed by `trade_id` (the open of a trade releases its closes).
 * - `closed_trades.is_trade_close` (`0 | 1`): whether a close counts in the trade statistics,
 *   computed by the core's `Portfolio.isTradeClose` when the close is inserted, so the SQL of
 *   `realizedBuckets` sums a column instead of restating the rule. Existing rows are backfilled
 *   here, once, with the rule as it stood when this migration was written (a quantity, or a
 *   close of an unknown trade); a released migration never changes, so it does not import it.
 *
 * Portable DDL only. Append-only: never edited once released.
 *
 * @since 0.2.0
 */
import { type Kysely, sql } from "kysely"

/** Creates `parked_closes`, adds and backfills `closed_trades.is_trade_close`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("parked_closes")
    .addColumn("event_key", "text", (c) => c.primaryKey())
    .addColumn("trade_id", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("parked_at", "bigint", (c) => c.notNull())
    .execute()
  await db.schema.createIndex("parked_closes_by_trade_id").on("parked_closes").column("trade_id").execute()

  await db.schema
    .alterTable("closed_trades")
    .addColumn("is_trade_close", "integer", (c) => c.notNull().defaultTo(0).check(sql`is_trade_close in (0, 1)`))
    .execute()
  await db
    .updateTable("closed_trades")
    .set({ is_trade_close: sql`case when quantity > 0 or orphan = 1 then 1 else 0 end` })
    .execute()
}
