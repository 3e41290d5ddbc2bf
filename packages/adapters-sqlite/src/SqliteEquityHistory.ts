/**
 * The `EquityHistory` port on the shared SQLite database. Each `append` is one transaction
 * that checks time order against the extremes row, inserts the sample (numbered by `seq`)
 * and rewrites the one-row `equity_extremes`, so the extremes never disagree with the
 * samples, even across `kill -9`. `extremes` is a one-row read whatever the history's length.
 * The same transaction upserts the sample's 15-minute bucket of `equity_rollup`, which
 * `bucketed` reads for bucket sizes that are multiples of it (else it groups the samples in
 * SQL); `lastBefore` is one backwards seek of the `(at, seq)` index per boundary.
 *
 * @since 0.1.0
 */
import { Drawdown, EquityCurve, EquityHistory, type EquityHistoryService, type EquitySample, Paging, StoreError } from "@portfolio/core"
import { Effect, Layer, Stream } from "effect"
import { sql } from "kysely"
import { rowLimit } from "./internal/RowLimit.js"
import * as SqliteSpecific from "./internal/SqliteSpecific.js"
import * as SyncQuery from "./internal/SyncQuery.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const sampleColumns = ["at", "equity", "cash", "unrealized_pnl"] as const

/** An equity history on the {@link SqliteDatabase} in context. */
export const make: Effect.Effect<EquityHistoryService, never, SqliteDatabase> = Effect.map(SqliteDatabase, ({ kysely, sqlite }) => {
  const query = SyncQuery.make(sqlite)
  const readExtremes = () => {
    const row = query.first(kysely.selectFrom("equity_extremes").selectAll().where("id", "=", 1))
    if (row === undefined) throw new Error("the equity_extremes row is missing: the database was altered by hand")
    return row
  }

  const appendInTransaction = sqlite.transaction((sample: EquitySample) => {
    const row = readExtremes()
    if (row.latest_at !== null && sample.at < row.latest_at) {
      throw new StoreError({
        operation: "append",
        reason: `sample at ${sample.at} is older than the latest at ${row.latest_at}`,
        retryable: false
      })
    }
    const next = Drawdown.advanceExtremes(Drawdown.extremesFromColumns(row), sample)
    query.run(
      kysely.insertInto("equity_samples").values({
        seq: row.sample_count + 1,
        at: sample.at,
        equity: sample.equity,
        cash: sample.cash,
        unrealized_pnl: sample.unrealized_pnl
      })
    )
    query.run(kysely.updateTable("equity_extremes").set(Drawdown.extremesToColumns(next, sample.at)).where("id", "=", 1))
    const e = sample.equity
    query.run(
      kysely
        .insertInto("equity_rollup")
        .values({ bucket: EquityCurve.bucketStart(sample.at, EquityCurve.ROLLUP_MS), open: e, high: e, low: e, close: e, samples: 1 })
        .onConflict((oc) =>
          oc.column("bucket").doUpdateSet({
            high: sql`max(high, excluded.high)`,
            low: sql`min(low, excluded.low)`,
            close: sql`excluded.close`,
            samples: sql`samples + 1`
          })
        )
    )
  })

  // Each group's open and close are read back by key from its first and last row (by bucket,
  // or by seq: samples are appended in time order). `x - x % size` is the bucket start.
  const fromRollup = sqlite.prepare<[number, number, number]>(`
    select g.start, f.open, g.high, g.low, l.close, g.samples from (
      select bucket - (bucket % ?) as start, min(bucket) as first_bucket, max(bucket) as last_bucket,
        max(high) as high, min(low) as low, sum(samples) as samples
      from equity_rollup where bucket >= ? and bucket < ? group by 1
    ) g
    join equity_rollup f on f.bucket = g.first_bucket
    join equity_rollup l on l.bucket = g.last_bucket
    order by g.start`).raw()
  const fromSamples = sqlite.prepare<[number, number, number]>(`
    select g.start, f.equity, g.high, g.low, l.equity, g.samples from (
      select at - (at % ?) as start, min(seq) as first_seq, max(seq) as last_seq,
        max(equity) as high, min(equity) as low, count(*) as samples
      from equity_samples where at >= ? and at < ? group by 1
    ) g
    join equity_samples f on f.seq = g.first_seq
    join equity_samples l on l.seq = g.last_seq
    order by g.start`).raw()
  const lastBefore = sqlite.prepare<[number]>(
    "select at, equity from equity_samples where at < ? order by at desc, seq desc limit 1"
  ).raw()

  const bucketed = (from: number | undefined, to: number | undefined, bucketMs: number): Array<EquityCurve.Bucket> => {
    if (!Number.isSafeInteger(bucketMs) || bucketMs <= 0) {
      throw new StoreError({ operation: "bucketed", reason: `bucketMs must be a positive integer (${bucketMs})`, retryable: false })
    }
    const start = from === undefined ? Number.MIN_SAFE_INTEGER : EquityCurve.bucketStart(from, bucketMs)
    const end = to === undefined ? Number.MAX_SAFE_INTEGER : EquityCurve.bucketStart(to - 1, bucketMs) + bucketMs
    if (end <= start) return []
    const statement = bucketMs % EquityCurve.ROLLUP_MS === 0 ? fromRollup : fromSamples
    const rows = statement.all(bucketMs, start, end) as Array<[number, number, number, number, number, number]>
    return rows.map(([start, open, high, low, close, count]) => ({ start, open, high, low, close, count }))
  }

  const attempt = <A>(operation: string, run: () => A): Effect.Effect<A, StoreError> =>
    Effect.try({ try: run, catch: (cause) => SqliteSpecific.toStoreError(operation, cause) })

  return EquityHistory.of({
    append: (sample) =>
      attempt("append", () => {
        const bad = sampleColumns.find((k) => !Number.isFinite(sample[k]))
        if (bad !== undefined) {
          throw new StoreError({ operation: "append", reason: `${bad} is not a finite number (${sample[bad]})`, retryable: false })
        }
        appendInTransaction.immediate(sample)
      }),
    range: (range) =>
      attempt("range", (): Array<EquitySample> => {
        let select = kysely.selectFrom("equity_samples").select(sampleColumns)
        if (range?.from !== undefined) select = select.where("at", ">=", range.from)
        if (range?.to !== undefined) select = select.where("at", "<", range.to)
        select = select.orderBy("at").orderBy("seq")
        const limit = rowLimit(range)
        return query.all(limit === undefined ? select : select.limit(limit))
      }),
    latest: attempt("latest", () =>
      query.first(kysely.selectFrom("equity_samples").select(sampleColumns).orderBy("seq", "desc").limit(1)) ?? null
    ),
    extremes: attempt("extremes", () => Drawdown.extremesFromColumns(readExtremes())),
    bucketed: (range, bucketMs) => attempt("bucketed", () => bucketed(range.from, range.to, bucketMs)),
    lastBefore: (boundaries) =>
      attempt("lastBefore", () =>
        boundaries.map((boundary) => {
          const row = lastBefore.get(boundary) as [number, number] | undefined
          return row === undefined ? null : { at: row[0], equity: row[1] }
        })),
    // Keyset pages on (at, seq): each page one index seek, whatever the range's length.
    stream: (range) =>
      Paging.keyset(
        (after: readonly [number, number] | undefined, size) =>
          attempt("stream", () => {
            let select = kysely.selectFrom("equity_samples").select([...sampleColumns, "seq"])
            if (range?.from !== undefined) select = select.where("at", ">=", range.from)
            if (range?.to !== undefined) select = select.where("at", "<", range.to)
            if (after !== undefined) {
              select = select.where((eb) => eb(eb.refTuple("at", "seq"), ">", eb.tuple(after[0], after[1])))
            }
            return query.all(select.orderBy("at").orderBy("seq").limit(size))
          }),
        (row) => [row.at, row.seq] as const,
        { limit: rowLimit(range) }
      ).pipe(Stream.map(({ at, equity, cash, unrealized_pnl }): EquitySample => ({ at, equity, cash, unrealized_pnl })))
  })
})

/** The {@link EquityHistory} on the {@link SqliteDatabase} layer it is given. */
export const layer: Layer.Layer<EquityHistory, never, SqliteDatabase> = Layer.effect(EquityHistory, make)
