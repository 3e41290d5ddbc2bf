/**
 * Migration 0001: the first schema — processed events, open trades, closes, fills, net
 * positions, equity samples and the one-row equity extremes. Portable DDL only (types that
 * mean the same in SQLite and PostgreSQL: `text`, `double precision`, `bigint`, `integer`).
 * Append-only: once released, a migration is never edited; changes go in a new one.
 *
 * @since 0.1.0
 */
import { type Kysely, sql } from "kysely"

const money = "double precision" as const
const epochMs = "bigint" as const

/** Creates the tables and indexes, and the extremes row of an empty history. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("processed_events")
    .addColumn("event_key", "text", (c) => c.primaryKey())
    .addColumn("event_type", "text", (c) => c.notNull())
    .addColumn("at", epochMs, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable("open_trades")
    .addColumn("trade_id", "text", (c) => c.primaryKey())
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("side", "text", (c) => c.notNull().check(sql`side in ('LONG', 'SHORT')`))
    .addColumn("entry_price", money, (c) => c.notNull())
    .addColumn("size", money, (c) => c.notNull())
    .addColumn("original_size", money, (c) => c.notNull())
    .addColumn("leverage", money, (c) => c.notNull())
    .addColumn("category", "text")
    .addColumn("opened_at", epochMs, (c) => c.notNull())
    .addColumn("realized_pnl", money, (c) => c.notNull())
    .addColumn("fees", money, (c) => c.notNull())
    .addColumn("updated_at", epochMs, (c) => c.notNull())
    .execute()

  await db.schema
    .createTable("closed_trades")
    .addColumn("close_id", "text", (c) => c.primaryKey())
    .addColumn("trade_id", "text", (c) => c.notNull())
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("side", "text", (c) => c.notNull().check(sql`side in ('LONG', 'SHORT')`))
    .addColumn("entry_price", money)
    .addColumn("exit_price", money, (c) => c.notNull())
    .addColumn("quantity", money, (c) => c.notNull())
    .addColumn("realized_pnl", money, (c) => c.notNull())
    .addColumn("fees", money, (c) => c.notNull())
    .addColumn("opened_at", epochMs)
    .addColumn("closed_at", epochMs, (c) => c.notNull())
    .addColumn("remaining_size", money, (c) => c.notNull())
    .addColumn("orphan", "integer", (c) => c.notNull().check(sql`orphan in (0, 1)`))
    .addColumn("over_close", "integer", (c) => c.notNull().check(sql`over_close in (0, 1)`))
    .execute()
  await db.schema.createIndex("closed_trades_by_closed_at").on("closed_trades").columns(["closed_at", "close_id"]).execute()

  await db.schema
    .createTable("fills")
    .addColumn("fill_key", "text", (c) => c.primaryKey())
    .addColumn("order_id", "text", (c) => c.notNull())
    .addColumn("fill_id", "text")
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("side", "text", (c) => c.notNull().check(sql`side in ('BUY', 'SELL')`))
    .addColumn("position_side", "text", (c) => c.notNull().check(sql`position_side in ('LONG', 'SHORT')`))
    .addColumn("quantity", money, (c) => c.notNull())
    .addColumn("price", money, (c) => c.notNull())
    .addColumn("fee", money, (c) => c.notNull())
    .addColumn("realized_pnl", money, (c) => c.notNull())
    .addColumn("executed_at", epochMs, (c) => c.notNull())
    .execute()
  await db.schema.createIndex("fills_by_executed_at").on("fills").columns(["executed_at", "fill_key"]).execute()

  await db.schema
    .createTable("net_positions")
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("side", "text", (c) => c.notNull().check(sql`side in ('LONG', 'SHORT')`))
    .addColumn("size", money, (c) => c.notNull())
    .addColumn("entry_price", money, (c) => c.notNull())
    .addColumn("leverage", money, (c) => c.notNull())
    .addColumn("opened_at", epochMs, (c) => c.notNull())
    .addColumn("realized_pnl", money, (c) => c.notNull())
    .addColumn("fees", money, (c) => c.notNull())
    .addColumn("updated_at", epochMs, (c) => c.notNull())
    .addPrimaryKeyConstraint("net_positions_pkey", ["symbol", "side"])
    .execute()

  await db.schema
    .createTable("equity_samples")
    .addColumn("seq", "integer", (c) => c.primaryKey())
    .addColumn("at", epochMs, (c) => c.notNull())
    .addColumn("equity", money, (c) => c.notNull())
    .addColumn("cash", money, (c) => c.notNull())
    .addColumn("unrealized_pnl", money, (c) => c.notNull())
    .execute()
  await db.schema.createIndex("equity_samples_by_at").on("equity_samples").columns(["at", "seq"]).execute()

  await db.schema
    .createTable("equity_extremes")
    .addColumn("id", "integer", (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn("sample_count", "integer", (c) => c.notNull())
    .addColumn("latest_at", epochMs)
    .addColumn("peak_at", epochMs)
    .addColumn("peak_equity", money)
    .addColumn("peak_cash", money)
    .addColumn("peak_unrealized_pnl", money)
    .addColumn("trough_at", epochMs)
    .addColumn("trough_equity", money)
    .addColumn("trough_cash", money)
    .addColumn("trough_unrealized_pnl", money)
    .addColumn("max_drawdown_pct", money, (c) => c.notNull())
    .execute()
  await db
    .insertInto("equity_extremes")
    .values({ id: 1, sample_count: 0, max_drawdown_pct: 0 })
    .execute()
}
