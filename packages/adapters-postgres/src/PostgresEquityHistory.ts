/**
 * The `EquityHistory` port on the shared PostgreSQL pool, scoped to the database's account.
 * Each `append` is one transaction: it locks the account's extremes row (`select … for
 * update`, so two writers of one account cannot interleave), checks time order, inserts the
 * sample (numbered by `seq`) and rewrites the extremes row: the extremes never disagree with the
 * samples. `extremes` is a one-row read whatever the history's length. The same transaction
 * upserts the sample's 15-minute bucket of `equity_rollup`: `bucketed` reads it for bucket
 * sizes that are multiples of it (else it groups the samples in SQL), and `lastBefore` seeks
 * the last bucket before each boundary there (its close is the last sample before a boundary
 * on a bucket edge; a boundary inside a bucket also reads that bucket's few samples).
 *
 * @since 0.1.0
 */
import { Drawdown, EquityCurve, EquityHistory, type EquityHistoryService, type EquitySample, Paging, StoreError } from "@portfolio/core"
import { Effect, Layer, Stream } from "effect"
import * as PackedSamples from "./internal/PackedSamples.js"
import * as PostgresSpecific from "./internal/PostgresSpecific.js"
import { rowLimit } from "./internal/RowLimit.js"
import { inTransaction, param, placeholders, prepare } from "./internal/Statements.js"
import { PostgresDatabase } from "./PostgresDatabase.js"
import type { EquityExtremesTable, EquitySamplesTable } from "./Tables.js"

const sampleColumns = ["at", "equity", "cash", "unrealized_pnl"] as const

/** An equity history on the {@link PostgresDatabase} in context. */
export const make: Effect.Effect<EquityHistoryService, never, PostgresDatabase> = Effect.map(
  PostgresDatabase,
  ({ accountId, kysely, pool, scrub }) => {
    const lockExtremes = prepare("portfolio_lock_extremes", { account_id: param<string>("account_id") }, (p) =>
      kysely.selectFrom("equity_extremes").selectAll().where("account_id", "=", p.account_id).forUpdate())
    const createExtremes = prepare("portfolio_create_extremes", { account_id: param<string>("account_id") }, (p) =>
      kysely
        .insertInto("equity_extremes")
        .values({ account_id: p.account_id, sample_count: 0, max_drawdown_pct: 0 })
        .onConflict((oc) => oc.column("account_id").doNothing()))
    const insertSample = prepare(
      "portfolio_insert_sample",
      placeholders<EquitySamplesTable>({ account_id: true, seq: true, at: true, equity: true, cash: true, unrealized_pnl: true }),
      (p) => kysely.insertInto("equity_samples").values(p)
    )
    const updateExtremes = prepare(
      "portfolio_update_extremes",
      placeholders<EquityExtremesTable>({
        account_id: true,
        sample_count: true,
        latest_at: true,
        peak_at: true,
        peak_equity: true,
        peak_cash: true,
        peak_unrealized_pnl: true,
        trough_at: true,
        trough_equity: true,
        trough_cash: true,
        trough_unrealized_pnl: true,
        max_drawdown_pct: true
      }),
      ({ account_id, ...row }) => kysely.updateTable("equity_extremes").set(row).where("account_id", "=", account_id)
    )

    // The sample's rollup bucket: a new one, or the extremes, close and count moved.
    const upsertRollup = {
      name: "portfolio_upsert_equity_rollup",
      text: `insert into equity_rollup (account_id, bucket, open, high, low, close, close_at, samples)
        values ($1, $2, $3, $3, $3, $3, $4, 1)
        on conflict (account_id, bucket) do update set
          high = greatest(equity_rollup.high, excluded.high),
          low = least(equity_rollup.low, excluded.low),
          close = excluded.close,
          close_at = excluded.close_at,
          samples = equity_rollup.samples + 1`
    }
    // Each group's open and close read back by key from its first and last row (by bucket, or
    // by seq: samples are appended in time order). `x - x % size` is the bucket start.
    const fromRollup = `
      select g.start, f.open, g.high, g.low, l.close, g.samples from (
        select bucket - (bucket % $2::bigint) as start, min(bucket) as first_bucket, max(bucket) as last_bucket,
          max(high) as high, min(low) as low, sum(samples) as samples
        from equity_rollup where account_id = $1 and bucket >= $3::bigint and bucket < $4::bigint group by 1
      ) g
      join equity_rollup f on f.account_id = $1 and f.bucket = g.first_bucket
      join equity_rollup l on l.account_id = $1 and l.bucket = g.last_bucket
      order by g.start`
    const fromSamples = `
      select g.start, f.equity, g.high, g.low, l.equity, g.samples from (
        select at - (at % $2::bigint) as start, min(seq) as first_seq, max(seq) as last_seq,
          max(equity) as high, min(equity) as low, count(*) as samples
        from equity_samples where account_id = $1 and at >= $3::bigint and at < $4::bigint group by 1
      ) g
      join equity_samples f on f.account_id = $1 and f.seq = g.first_seq
      join equity_samples l on l.account_id = $1 and l.seq = g.last_seq
      order by g.start`
    // Per boundary: the last rollup bucket that starts before it, and the last sample of the
    // boundary's own bucket before it (a handful of rows), whichever is later.
    const lastBeforeText = `
      select b.i, coalesce(s.at, r.close_at), coalesce(s.equity, r.close) from unnest($2::bigint[]) with ordinality as b(boundary, i)
      left join lateral (
        select at, equity from equity_samples
        where account_id = $1 and at >= b.boundary - (b.boundary % ${EquityCurve.ROLLUP_MS}) and at < b.boundary
        order by at desc, seq desc limit 1
      ) s on true
      left join lateral (
        select close_at, close from equity_rollup
        where account_id = $1 and bucket < b.boundary - (b.boundary % ${EquityCurve.ROLLUP_MS})
        order by bucket desc limit 1
      ) r on true
      order by b.i`

    const attempt = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, StoreError> =>
      Effect.tryPromise({ try: run, catch: (cause) => PostgresSpecific.toStoreError(operation, cause, scrub) })

    const readExtremes = async (): Promise<EquityExtremesTable | undefined> =>
      kysely.selectFrom("equity_extremes").selectAll().where("account_id", "=", accountId).executeTakeFirst()

    const append = (sample: EquitySample) =>
      inTransaction(pool, async (client) => {
        let row = (await lockExtremes.run(client, { account_id: accountId })).rows[0]
        if (row === undefined) {
          // The row is made at start; made again here if someone deleted it since.
          await createExtremes.run(client, { account_id: accountId })
          row = (await lockExtremes.run(client, { account_id: accountId })).rows[0]
          if (row === undefined) throw new Error("the account's equity_extremes row cannot be created")
        }
        if (row.latest_at !== null && sample.at < row.latest_at) {
          throw new StoreError({
            operation: "append",
            reason: `sample at ${sample.at} is older than the latest at ${row.latest_at}`,
            retryable: false
          })
        }
        const next = Drawdown.advanceExtremes(Drawdown.extremesFromColumns(row), sample)
        await insertSample.run(client, {
          account_id: accountId,
          seq: row.sample_count + 1,
          at: sample.at,
          equity: sample.equity,
          cash: sample.cash,
          unrealized_pnl: sample.unrealized_pnl
        })
        await updateExtremes.run(client, { account_id: accountId, ...Drawdown.extremesToColumns(next, sample.at) })
        await client.query({
          ...upsertRollup,
          values: [accountId, EquityCurve.bucketStart(sample.at, EquityCurve.ROLLUP_MS), sample.equity, sample.at]
        })
      })

    const bucketed = async (from: number | undefined, to: number | undefined, bucketMs: number): Promise<Array<EquityCurve.Bucket>> => {
      if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) {
        throw new StoreError({ operation: "bucketed", reason: `bucketMs must be a positive integer (${bucketMs})`, retryable: false })
      }
      const start = from === undefined ? Number.MIN_SAFE_INTEGER : EquityCurve.bucketStart(from, bucketMs)
      const end = to === undefined ? Number.MAX_SAFE_INTEGER : EquityCurve.bucketStart(to - 1, bucketMs) + bucketMs
      if (end <= start) return []
      const result = await pool.query<Array<number | string>>({
        text: bucketMs % EquityCurve.ROLLUP_MS === 0 ? fromRollup : fromSamples,
        values: [accountId, bucketMs, start, end],
        rowMode: "array"
      })
      return result.rows.map(([start, open, high, low, close, count]) => ({
        start: Number(start),
        open: Number(open),
        high: Number(high),
        low: Number(low),
        close: Number(close),
        count: Number(count)
      }))
    }

    const lastBefore = async (boundaries: ReadonlyArray<number>): Promise<Array<EquityCurve.Point | null>> => {
      if (boundaries.length === 0) return []
      const result = await pool.query<[string, string | number | null, number | null]>({
        text: lastBeforeText,
        values: [accountId, boundaries.map((b) => Math.ceil(b))],
        rowMode: "array"
      })
      return result.rows.map(([, at, equity]) => (at === null || equity === null ? null : { at: Number(at), equity: Number(equity) }))
    }

    return EquityHistory.of({
      append: (sample) => {
        const bad = sampleColumns.find((k) => !Number.isFinite(sample[k]))
        return bad !== undefined
          ? Effect.fail(
            new StoreError({ operation: "append", reason: `${bad} is not a finite number (${sample[bad]})`, retryable: false })
          )
          : attempt("append", () => append(sample))
      },
      range: (range) =>
        attempt("range", async (): Promise<Array<EquitySample>> => {
          let select = kysely.selectFrom("equity_samples").select(["seq", ...sampleColumns]).where("account_id", "=", accountId)
          if (range?.from !== undefined) select = select.where("at", ">=", range.from)
          if (range?.to !== undefined) select = select.where("at", "<", range.to)
          const limit = rowLimit(range)
          // Packed pages of float8s, one bytea each, not one row per sample: pg's decoding of
          // rows in JavaScript was most of the time of a 7-day range (internal/PackedSamples).
          const first = Math.min(PackedSamples.PAGE_ROWS, limit ?? Infinity)
          if (first <= 0) return []
          // Usually one query: the range as stored, unsorted, taken when it is in order.
          const stored = select.limit(first).compile()
          const asStored = await pool.query<[Buffer | null, number]>({
            text: PackedSamples.asStoredSql(stored.sql),
            values: [...stored.parameters],
            rowMode: "array"
          })
          const [packedAsStored, countAsStored] = asStored.rows[0] ?? [null, 0]
          const inOrder = PackedSamples.unpackIfOrdered(packedAsStored, Number(countAsStored), first)
          if (inOrder !== undefined) return inOrder
          const samples: Array<EquitySample> = []
          let after: number | undefined
          for (;;) {
            const wanted = Math.min(PackedSamples.PAGE_ROWS, limit === undefined ? Infinity : limit - samples.length)
            if (wanted <= 0) return samples
            const page = (after === undefined ? select.orderBy("at").orderBy("seq") : select.where("seq", ">", after).orderBy("seq")).limit(wanted).compile()
            const result = await pool.query<[Buffer | null, number | null, number]>({
              text: PackedSamples.packedSql(page.sql),
              values: [...page.parameters],
              rowMode: "array"
            })
            const [packed, lastSeq, count] = result.rows[0] ?? [null, null, 0]
            PackedSamples.unpackInto(samples, packed)
            if (Number(count) < wanted || lastSeq === null) return samples
            after = Number(lastSeq)
          }
        }),
      latest: attempt("latest", async () =>
        (await kysely
          .selectFrom("equity_samples")
          .select(sampleColumns)
          .where("account_id", "=", accountId)
          .orderBy("seq", "desc")
          .limit(1)
          .executeTakeFirst()) ?? null),
      extremes: attempt("extremes", async () => {
        const row = await readExtremes()
        return row === undefined
          ? { peak: null, trough_since_peak: null, max_drawdown_pct: 0, count: 0 }
          : Drawdown.extremesFromColumns(row)
      }),
      bucketed: (range, bucketMs) => attempt("bucketed", () => bucketed(range.from, range.to, bucketMs)),
      lastBefore: (boundaries) => attempt("lastBefore", () => lastBefore(boundaries)),
      // Keyset pages on (at, seq): each page one index seek, whatever the range's length.
      stream: (range) =>
        Paging.keyset(
          (after: readonly [number, number] | undefined, size) =>
            attempt("stream", () => {
              let select = kysely.selectFrom("equity_samples").select([...sampleColumns, "seq"]).where("account_id", "=", accountId)
              if (range?.from !== undefined) select = select.where("at", ">=", range.from)
              if (range?.to !== undefined) select = select.where("at", "<", range.to)
              if (after !== undefined) {
                select = select.where((eb) => eb(eb.refTuple("at", "seq"), ">", eb.tuple(after[0], after[1])))
              }
              return select.orderBy("at").orderBy("seq").limit(size).execute()
            }),
          (row) => [row.at, row.seq] as const,
          { limit: rowLimit(range) }
        ).pipe(Stream.map(({ at, equity, cash, unrealized_pnl }): EquitySample => ({ at, equity, cash, unrealized_pnl })))
    })
  }
)

/** The {@link EquityHistory} on the {@link PostgresDatabase} layer it is given. */
export const layer: Layer.Layer<EquityHistory, never, PostgresDatabase> = Layer.effect(EquityHistory, make)
