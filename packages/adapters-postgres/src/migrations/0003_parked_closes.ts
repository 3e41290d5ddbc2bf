/**
 * Migration 0003, PostgreSQL form: parked closes, and the round-trip PnL of closes.
 *
 * - `parked_closes`: a `trade.closed` whose trade is not open yet, kept until its
 *   `trade.opened` arrives or the orphan grace passes. Key `(account_id, event_key)`; indexed
 *   by `(account_id, trade_id)`.
 * - `closed_trades.round_trip_pnl` (nullable `double precision`): the core's
 *   `ClosedTradeRecord.round_trip_pnl`, stored as given.
 *
 * Closes stored before this migration are backfilled once, as in the SQLite form: a close with
 * `remaining_size = 0` and (`quantity > 0` or `orphan`) gets the sum of `realized_pnl` of the
 * closes of its account and `trade_id` up to its `closed_at`, set to exactly 0 within 1e-9 × its
 * entry notional; every other close gets null.
 *
 * - `realized_buckets` (PostgreSQL only): the closes summed per account and 15-minute bucket,
 *   which the store keeps up to date in the transaction of each commit, so that the start-up
 *   read is O(buckets) (a `GROUP BY` over a million closes takes over a second). Built here from
 *   the closes already stored, in `(closed_at, close_id)` order, with the same compensated sums.
 *   Self-contained (a released migration never changes, so it imports no rule of the core).
 *
 * @since 0.2.0
 */
import { type Kysely, sql } from "kysely"

const BUCKET_MS = 15 * 60_000

interface Bucket {
  account_id: string
  bucket_start: number
  realized_pnl: number
  realized_pnl_c: number
  fees: number
  fees_c: number
  gross_profit: number
  gross_profit_c: number
  gross_loss: number
  gross_loss_c: number
  round_trips: number
  wins: number
  losses: number
  breakevens: number
  best: number | null
  worst: number | null
}

type SumField = "realized_pnl" | "fees" | "gross_profit" | "gross_loss"

/** Neumaier's compensated addition of `term` to the accumulator `field` / `field_c`. */
const add = (b: Bucket, field: SumField, term: number): void => {
  const total = b[field]
  const t = total + term
  const c = `${field}_c` as const
  b[c] += Math.abs(total) >= Math.abs(term) ? total - t + term : term - t + total
  b[field] = t
}

/** Creates `parked_closes`, adds and backfills `closed_trades.round_trip_pnl`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`
    create table parked_closes (
      account_id text collate "C" not null,
      event_key text collate "C" not null,
      trade_id text collate "C" not null,
      event text not null,
      parked_at bigint not null,
      primary key (account_id, event_key)
    )`.execute(db)
  await sql`create index parked_closes_by_trade_id on parked_closes (account_id, trade_id)`.execute(db)

  await sql`alter table closed_trades add column round_trip_pnl double precision`.execute(db)
  await sql`
    update closed_trades
    set round_trip_pnl = case
      when abs(sofar.pnl) <= 1e-9 * abs(coalesce(closed_trades.entry_price, 0) * sofar.quantity) then 0
      else sofar.pnl
    end
    from (
      select
        account_id,
        close_id,
        sum(realized_pnl) over (partition by account_id, trade_id order by closed_at) as pnl,
        sum(quantity) over (partition by account_id, trade_id order by closed_at) as quantity
      from closed_trades
    ) as sofar
    where sofar.account_id = closed_trades.account_id
      and sofar.close_id = closed_trades.close_id
      and closed_trades.remaining_size = 0
      and (closed_trades.quantity > 0 or closed_trades.orphan)`.execute(db)

  await sql`
    create table realized_buckets (
      account_id text collate "C" not null,
      bucket_start bigint not null,
      realized_pnl double precision not null,
      realized_pnl_c double precision not null,
      fees double precision not null,
      fees_c double precision not null,
      gross_profit double precision not null,
      gross_profit_c double precision not null,
      gross_loss double precision not null,
      gross_loss_c double precision not null,
      round_trips bigint not null,
      wins bigint not null,
      losses bigint not null,
      breakevens bigint not null,
      best double precision,
      worst double precision,
      primary key (account_id, bucket_start)
    )`.execute(db)

  // Backfill from the closes, a page at a time, in (account_id, closed_at, close_id) order.
  let after: { account_id: string; closed_at: number; close_id: string } | undefined
  let bucket: Bucket | undefined
  const flush = async () => {
    if (bucket !== undefined) await db.insertInto("realized_buckets").values(bucket).execute()
  }
  for (;;) {
    const page = await db
      .selectFrom("closed_trades")
      .select(["account_id", "close_id", "closed_at", "realized_pnl", "fees", "round_trip_pnl"])
      .$if(after !== undefined, (q) =>
        q.where(sql<boolean>`(account_id, closed_at, close_id) > (${after?.account_id}, ${after?.closed_at}, ${after?.close_id})`))
      .orderBy("account_id")
      .orderBy("closed_at")
      .orderBy("close_id")
      .limit(50_000)
      .execute()
    for (const row of page) {
      const closedAt = Number(row.closed_at)
      const start = Math.floor(closedAt / BUCKET_MS) * BUCKET_MS
      if (bucket === undefined || bucket.account_id !== row.account_id || bucket.bucket_start !== start) {
        await flush()
        bucket = {
          account_id: row.account_id,
          bucket_start: start,
          realized_pnl: 0,
          realized_pnl_c: 0,
          fees: 0,
          fees_c: 0,
          gross_profit: 0,
          gross_profit_c: 0,
          gross_loss: 0,
          gross_loss_c: 0,
          round_trips: 0,
          wins: 0,
          losses: 0,
          breakevens: 0,
          best: null,
          worst: null
        }
      }
      add(bucket, "realized_pnl", row.realized_pnl)
      add(bucket, "fees", row.fees)
      const trip: number | null = row.round_trip_pnl
      if (trip !== null) {
        bucket.round_trips++
        if (trip > 0) {
          bucket.wins++
          add(bucket, "gross_profit", trip)
        } else if (trip < 0) {
          bucket.losses++
          add(bucket, "gross_loss", -trip)
        } else bucket.breakevens++
        bucket.best = bucket.best === null || trip > bucket.best ? trip : bucket.best
        bucket.worst = bucket.worst === null || trip < bucket.worst ? trip : bucket.worst
      }
      after = { account_id: row.account_id, closed_at: closedAt, close_id: row.close_id }
    }
    if (page.length < 50_000) break
  }
  await flush()
}
