/**
 * Migration 0005, PostgreSQL form: daily marks (`daily_marks`), the last saved price of each
 * symbol on each UTC day per account, kept by every save of the marks, so the correlation of
 * daily returns reads one row per symbol and day. Key `(account_id, day, symbol)`; `day` counts
 * days since 1970-01-01 UTC. Seeded here from `last_prices`.
 *
 * Append-only: never edited once released.
 *
 * @since 0.3.0
 */
import { type Kysely, sql } from "kysely"

/** Creates and seeds `daily_marks`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`
    create table daily_marks (
      account_id text collate "C" not null,
      symbol text collate "C" not null,
      day integer not null,
      price double precision not null,
      at bigint not null,
      primary key (account_id, day, symbol)
    )`.execute(db)
  await sql`
    insert into daily_marks (account_id, symbol, day, price, at)
    select account_id, symbol, (at / 86400000)::integer, price, at from last_prices`.execute(db)
}
