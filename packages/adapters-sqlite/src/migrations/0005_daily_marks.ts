/**
 * Migration 0005: daily marks (`daily_marks`), the last saved price of each symbol on each UTC
 * day, kept by every save of the marks, so the correlation of daily returns reads one row per
 * symbol and day. Key `(symbol, day)`; `day` counts days since 1970-01-01 UTC. Seeded here from
 * `last_prices` (the one day each symbol's last price is known for).
 *
 * Portable DDL only. Append-only: never edited once released.
 *
 * @since 0.3.0
 */
import { type Kysely, sql } from "kysely"

/** Creates and seeds `daily_marks`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("daily_marks")
    .addColumn("symbol", "text", (c) => c.notNull())
    .addColumn("day", "integer", (c) => c.notNull())
    .addColumn("price", "double precision", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .addPrimaryKeyConstraint("daily_marks_pkey", ["day", "symbol"])
    .execute()
  await sql`insert into daily_marks (symbol, day, price, at) select symbol, at / 86400000, price, at from last_prices`.execute(db)
}
