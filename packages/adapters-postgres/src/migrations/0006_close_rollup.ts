/**
 * Migration 0006, PostgreSQL form: the close rollup (`close_rollup`, the core's `CloseRollup`),
 * the closes summed per account, 15-minute UTC span or UTC day, and symbol (`''` for every
 * symbol together); the same columns as the SQLite form. Key `(account_id, span, start,
 * symbol)`. Kept by every commit in its transaction (under the account's advisory lock, as
 * `realized_buckets`).
 *
 * Backfilled here, once, from the closes already stored, per account in `(closed_at, close_id)`
 * order, by the core's fold (`CloseRollup.advance`): the rows must be those the commits keep,
 * to the last bit, so the rule is the core's own rather than a copy that could drift from it.
 *
 * Append-only: never edited once released.
 *
 * @since 0.3.0
 */
import { CloseRollup } from "@portfolio/core"
import { type Kysely, sql } from "kysely"

/** Closes read per page of the backfill. */
const PAGE = 50_000

/** Creates and backfills `close_rollup`. */
export const up = async (db: Kysely<any>): Promise<void> => {
  await sql`
    create table close_rollup (
      account_id text collate "C" not null,
      span bigint not null,
      start bigint not null,
      symbol text collate "C" not null,
      realized_pnl double precision not null,
      realized_pnl_c double precision not null,
      round_trip_pnl double precision not null,
      round_trip_pnl_c double precision not null,
      gross_profit double precision not null,
      gross_profit_c double precision not null,
      gross_loss double precision not null,
      gross_loss_c double precision not null,
      round_trips bigint not null,
      wins bigint not null,
      losses bigint not null,
      best double precision,
      worst double precision,
      first_run bigint not null,
      last_run bigint not null,
      longest_win bigint not null,
      longest_loss bigint not null,
      last_closed_at bigint not null,
      last_close_id text collate "C" not null,
      primary key (account_id, span, start, symbol)
    )`.execute(db)

  // Per account, a page at a time; a row is written once the closes have passed its span.
  const open = new Map<string, CloseRollup.CloseRollupRecord & { account_id: string }>()
  const flush = async (account: string | undefined, before: number) => {
    const done = [...open.entries()].filter(([, row]) => row.account_id !== account || row.start + row.span <= before)
    for (let i = 0; i < done.length; i += 500) {
      await db.insertInto("close_rollup").values(done.slice(i, i + 500).map(([, row]) => row)).execute()
    }
    for (const [key] of done) open.delete(key)
  }
  let after: { account_id: string; closed_at: number; close_id: string } | undefined
  for (;;) {
    const page: Array<CloseRollup.Close & { account_id: string }> = await db
      .selectFrom("closed_trades")
      .select(["account_id", "close_id", "symbol", "closed_at", "realized_pnl", "round_trip_pnl"])
      .$if(after !== undefined, (q) =>
        q.where(sql<boolean>`(account_id, closed_at, close_id) > (${after?.account_id}, ${after?.closed_at}, ${after?.close_id})`))
      .orderBy("account_id")
      .orderBy("closed_at")
      .orderBy("close_id")
      .limit(PAGE)
      .execute()
    for (const row of page) {
      const close = { ...row, closed_at: Number(row.closed_at) }
      if (after !== undefined && after.account_id !== close.account_id) await flush(close.account_id, Number.NEGATIVE_INFINITY)
      for (const key of CloseRollup.keysOf(close)) {
        const k = `${close.account_id}\u0000${CloseRollup.keyOf(key)}`
        const row = open.get(k) ?? { ...CloseRollup.empty(key.span, key.start, key.symbol), account_id: close.account_id }
        open.set(k, { ...CloseRollup.advance(row, [close]), account_id: close.account_id })
      }
      after = { account_id: close.account_id, closed_at: close.closed_at, close_id: close.close_id }
    }
    if (page.length < PAGE) break
    await flush(after!.account_id, after!.closed_at - (after!.closed_at % CloseRollup.DAY))
  }
  await flush(undefined, Number.POSITIVE_INFINITY)
}
