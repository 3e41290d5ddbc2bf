/**
 * Migration 0004, PostgreSQL form: the equity rollup (`equity_rollup`), one row per account and
 * 15-minute UTC bucket (`EquityCurve.ROLLUP_MS` in the core) with the open, high, low and close
 * equity of its samples, the time of its last one and their number, so a bucketed equity curve over a year reads ~35 000
 * rows of a B-tree instead of 3.15 million samples, and a daily close is one index seek. Kept
 * in the transaction of every append; backfilled here, once, from the samples already stored
 * (open and close are the samples with the lowest and highest `seq` of the account's bucket:
 * samples are appended in time order).
 *
 * Append-only: never edited once released.
 *
 * @since 0.3.0
 */
import { type Kysely, sql } from "kysely"

/** Creates and backfills `equity_rollup`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`
    create table equity_rollup (
      account_id text collate "C" not null,
      bucket bigint not null,
      open double precision not null,
      high double precision not null,
      low double precision not null,
      close double precision not null,
      close_at bigint not null,
      samples bigint not null,
      primary key (account_id, bucket)
    )`.execute(db)
  await sql`
    insert into equity_rollup (account_id, bucket, open, high, low, close, close_at, samples)
    select g.account_id, g.bucket, f.equity, g.high, g.low, l.equity, l.at, g.samples
    from (
      select account_id, at - (at % 900000) as bucket, min(seq) as first_seq, max(seq) as last_seq,
        max(equity) as high, min(equity) as low, count(*) as samples
      from equity_samples group by 1, 2
    ) g
    join equity_samples f on f.account_id = g.account_id and f.seq = g.first_seq
    join equity_samples l on l.account_id = g.account_id and l.seq = g.last_seq`.execute(db)
}
