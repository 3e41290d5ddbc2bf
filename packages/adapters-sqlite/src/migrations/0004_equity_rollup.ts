/**
 * Migration 0004: the equity rollup (`equity_rollup`), one row per 15-minute UTC bucket
 * (`EquityCurve.ROLLUP_MS` in the core) with the open, high, low and close equity of its
 * samples and their number, so a bucketed equity curve over a year reads ~35 000 rows instead
 * of 3.15 million samples. Kept in the transaction of every append; backfilled here, once, from
 * the samples already stored (open and close are the samples with the lowest and highest `seq`
 * of the bucket: samples are appended in time order).
 *
 * Portable DDL only. Append-only: never edited once released.
 *
 * @since 0.3.0
 */
import { type Kysely, sql } from "kysely"

/** The bucket size of the rollup in ms (the core's `EquityCurve.ROLLUP_MS`, fixed here forever). */
const ROLLUP_MS = 900_000

/** Creates and backfills `equity_rollup`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await db.schema
    .createTable("equity_rollup")
    .addColumn("bucket", "integer", (c) => c.primaryKey())
    .addColumn("open", "double precision", (c) => c.notNull())
    .addColumn("high", "double precision", (c) => c.notNull())
    .addColumn("low", "double precision", (c) => c.notNull())
    .addColumn("close", "double precision", (c) => c.notNull())
    .addColumn("samples", "integer", (c) => c.notNull())
    .execute()
  await sql`
    insert into equity_rollup (bucket, open, high, low, close, samples)
    select g.bucket, f.equity, g.high, g.low, l.equity, g.samples
    from (
      select at - (at % ${sql.lit(ROLLUP_MS)}) as bucket, min(seq) as first_seq, max(seq) as last_seq,
        max(equity) as high, min(equity) as low, count(*) as samples
      from equity_samples group by 1
    ) g
    join equity_samples f on f.seq = g.first_seq
    join equity_samples l on l.seq = g.last_seq`.execute(db)
}
