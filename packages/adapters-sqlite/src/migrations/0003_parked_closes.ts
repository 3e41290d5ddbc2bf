/**
 * Migration 0003: parked closes, and the round-trip PnL of closes.
 *
 * - `parked_closes`: a `trade.closed` whose trade is not open yet, kept until its
 *   `trade.opened` arrives or the orphan grace passes (DESIGN.md §3), so a restart resumes the
 *   wait. Key `event_key`; indexed by `trade_id` (the open of a trade releases its closes).
 * - `closed_trades.round_trip_pnl` (nullable `double precision`): the core's
 *   `ClosedTradeRecord.round_trip_pnl`, stored as given — on the close that ends a round trip,
 *   that round trip's PnL; null on partial closes and fee records. The trade statistics of
 *   `realizedBuckets` are aggregates of this column, so the SQL never restates the core's rule.
 *
 * Closes stored before this migration are backfilled here, once: a close with
 * `remaining_size = 0` and (`quantity > 0` or `orphan = 1`) gets the sum of `realized_pnl` of
 * every close of its `trade_id` with `closed_at <=` its own (its opening fee record, its partial
 * closes and itself), set to exactly 0 when within 1e-9 × its entry notional (`entry_price` ×
 * the quantity closed so far) of 0, as the core's break-even rule; every other close gets null.
 * In trade mode (one `trade_id` per trade) that is the round trip's PnL, up to rounding. In
 * fills mode a position's closes share the id `symbol:side` across round trips, so the sum also
 * takes in the round trips before it on that side: older fills-mode rows are an approximation.
 * A released migration never changes, so this does not import the core's rule.
 *
 * Portable SQL only (window functions and `update … from`: SQLite ≥ 3.33, PostgreSQL).
 * Append-only: never edited once released.
 *
 * @since 0.2.0
 */
import { type Kysely, sql } from "kysely"

/** Creates `parked_closes`, adds and backfills `closed_trades.round_trip_pnl`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("parked_closes")
    .addColumn("event_key", "text", (c) => c.primaryKey())
    .addColumn("trade_id", "text", (c) => c.notNull())
    .addColumn("event", "text", (c) => c.notNull())
    .addColumn("parked_at", "bigint", (c) => c.notNull())
    .execute()
  await db.schema.createIndex("parked_closes_by_trade_id").on("parked_closes").column("trade_id").execute()

  await db.schema.alterTable("closed_trades").addColumn("round_trip_pnl", "double precision").execute()
  // Running sums per trade_id in one sorted pass (the default window frame takes in the rows
  // with an equal closed_at: "closed_at <= its own"), joined back by close_id.
  const sofar = db
    .selectFrom("closed_trades")
    .select([
      "close_id",
      sql`sum(realized_pnl) over (partition by trade_id order by closed_at)`.as("pnl"),
      sql`sum(quantity) over (partition by trade_id order by closed_at)`.as("quantity")
    ])
    .as("sofar")
  await db
    .updateTable("closed_trades")
    .from(sofar)
    .set({
      round_trip_pnl: sql`case when abs(sofar.pnl) <= 1e-9 * abs(coalesce(closed_trades.entry_price, 0) * sofar.quantity) then 0 else sofar.pnl end`
    })
    .whereRef("sofar.close_id", "=", "closed_trades.close_id")
    .where("closed_trades.remaining_size", "=", 0)
    .where((eb) => eb.or([eb("closed_trades.quantity", ">", 0), eb("closed_trades.orphan", "=", 1)]))
    .execute()
}
