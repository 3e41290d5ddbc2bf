/**
 * Migration 0002: last prices (`last_prices`, one row per symbol), saved with each snapshot so
 * a restart marks open positions as they were. Portable DDL only.
 *
 * @since 0.1.0
 */
import type { Kysely } from "kysely"

/** Creates the `last_prices` table. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("last_prices")
    .addColumn("symbol", "text", (c) => c.primaryKey())
    .addColumn("price", "double precision", (c) => c.notNull())
    .addColumn("at", "bigint", (c) => c.notNull())
    .execute()
}

