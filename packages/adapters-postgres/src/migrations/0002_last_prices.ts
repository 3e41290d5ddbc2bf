/**
 * Migration 0002, PostgreSQL form: last prices (`last_prices`, one row per account and
 * symbol), saved with each snapshot so a restart marks open positions as they were.
 *
 * @since 0.1.0
 */
import { type Kysely, sql } from "kysely"

/** Creates the `last_prices` table. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`
    create table last_prices (
      account_id text collate "C" not null,
      symbol text collate "C" not null,
      price double precision not null,
      at bigint not null,
      primary key (account_id, symbol)
    )`.execute(db)
}
