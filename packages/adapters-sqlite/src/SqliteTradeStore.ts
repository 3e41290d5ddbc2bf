/**
 * The `TradeStore` port on the shared SQLite database. A `commitMany` is one `BEGIN IMMEDIATE
 * … COMMIT` transaction over its batches, in order (`commit` is `commitMany` of one batch);
 * each batch is written by prepared statements compiled once (`internal/BatchWriter.ts`): its
 * event key first (`on conflict do nothing`; no row inserted means a duplicate, also of a key
 * earlier in the same call, and nothing else of that batch is written), then its records. A
 * failing statement rolls the whole call back, keys included.
 *
 * @since 0.1.0
 */
import {
  CloseRollup,
  RollupQuery,
  type CommitResult,
  type MarkRecord,
  type ParkedCloseRecord,
  REALIZED_BUCKET_MS,
  type RealizedBucket,
  type FillRecord,
  Paging,
  type StoreBatch,
  type StoreError,
  TradeStore,
  type TradeStoreService
} from "@portfolio/core"
import { Effect, Layer } from "effect"
import { sql } from "kysely"
import * as BatchWriter from "./internal/BatchWriter.js"
import * as RecordRows from "./internal/RecordRows.js"
import * as RollupWriter from "./internal/RollupWriter.js"
import * as SqliteSpecific from "./internal/SqliteSpecific.js"
import * as SyncQuery from "./internal/SyncQuery.js"
import { rowLimit } from "./internal/RowLimit.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

/**
 * Keys per `processedAmong` statement. Shorter lists are padded (by repeating a key) to the
 * next of these sizes, so a handful of statement shapes serve every length.
 */
const lookupSizes = [1, 16, 100, 500] as const

/** A trade store on the {@link SqliteDatabase} in context. */
export const make: Effect.Effect<TradeStoreService, never, SqliteDatabase> = Effect.map(SqliteDatabase, ({ kysely, path, sqlite }) => {
  const query = SyncQuery.make(sqlite)
  const writer = BatchWriter.make(kysely, query, sqlite)

  const commitInTransaction = sqlite.transaction((batches: ReadonlyArray<StoreBatch>): Array<CommitResult> => writer.write(batches))
  const commitMany = (batches: ReadonlyArray<StoreBatch>) =>
    attempt("commit", (): ReadonlyArray<CommitResult> => {
      if (batches.length === 0) return []
      try {
        return commitInTransaction.immediate(batches)
      } catch (error) {
        writer.rolledBack()
        throw error
      }
    })

  const lookups = lookupSizes.map((size) => {
    const keys = Array.from({ length: size }, (_, i) => SyncQuery.param<string>(i))
    return query.prepare(keys, (p) => kysely.selectFrom("processed_events").select("event_key").where("event_key", "in", p))
  })
  const processedAmong = (eventKeys: ReadonlyArray<string>): Set<string> => {
    const found = new Set<string>()
    const largest = lookupSizes[lookupSizes.length - 1] as number
    for (let from = 0; from < eventKeys.length; from += largest) {
      const chunk = eventKeys.slice(from, from + largest)
      const shape = lookupSizes.findIndex((size) => size >= chunk.length)
      const padded = chunk.concat(Array<string>((lookupSizes[shape] as number) - chunk.length).fill(chunk[0] as string))
      for (const row of (lookups[shape] as (typeof lookups)[number]).all(padded)) found.add(row.event_key)
    }
    return found
  }

  const saveMark = query.prepare(
    SyncQuery.placeholders<MarkRecord>({ symbol: true, price: true, at: true }),
    (p) =>
      kysely
        .insertInto("last_prices")
        .values(p)
        .onConflict((oc) =>
          oc
            .column("symbol")
            .doUpdateSet((eb) => ({ price: eb.ref("excluded.price"), at: eb.ref("excluded.at") }))
            .where("last_prices.at", "<=", (eb) => eb.ref("excluded.at"))
        )
  )
  // The day's row too (migration 0005): replaced only by a price seen at the same time or later.
  const saveDailyMark = sqlite.prepare<[string, number, number, number]>(
    `insert into daily_marks (symbol, day, price, at) values (?, ?, ?, ?)
     on conflict (day, symbol) do update set price = excluded.price, at = excluded.at where daily_marks.at <= excluded.at`
  )
  const saveMarksInTransaction = sqlite.transaction((marks: ReadonlyArray<MarkRecord>) => {
    for (const mark of marks) {
      saveMark.run({ symbol: mark.symbol, price: mark.price, at: mark.at })
      saveDailyMark.run(mark.symbol, Math.floor(mark.at / 86_400_000), mark.price, mark.at)
    }
  })

  // Closes summed per 15-minute bucket; integer division of epoch ms is portable (bigint in
  // PostgreSQL, INTEGER in SQLite). Realized PnL and fees sum every close; the statistics are
  // aggregates of `round_trip_pnl`, which the core set on the close that ends a round trip (null
  // elsewhere, and null is what `count`, `max` and `min` skip and no `case` below matches).
  const bucketExpr = sql<number>`closed_at / ${sql.lit(REALIZED_BUCKET_MS)}`
  const realizedBuckets = kysely
    .selectFrom("closed_trades")
    .select([
      bucketExpr.as("bucket"),
      sql<number>`sum(realized_pnl)`.as("realized_pnl"),
      sql<number>`sum(fees)`.as("fees"),
      sql<number>`sum(case when round_trip_pnl > 0 then round_trip_pnl else 0 end)`.as("gross_profit"),
      sql<number>`sum(case when round_trip_pnl < 0 then -round_trip_pnl else 0 end)`.as("gross_loss"),
      sql<number>`count(round_trip_pnl)`.as("round_trips"),
      sql<number>`sum(case when round_trip_pnl > 0 then 1 else 0 end)`.as("wins"),
      sql<number>`sum(case when round_trip_pnl < 0 then 1 else 0 end)`.as("losses"),
      sql<number>`sum(case when round_trip_pnl = 0 then 1 else 0 end)`.as("breakevens"),
      sql<number | null>`max(round_trip_pnl)`.as("best"),
      sql<number | null>`min(round_trip_pnl)`.as("worst")
    ])
    .groupBy(bucketExpr)
    .orderBy(bucketExpr)

  // The close rollup (migration 0006) of a range: the rows of every symbol (`symbol = ''`) or
  // each symbol's, by start; or their totals grouped in SQL (SQLite's `sum` of floats is
  // compensated too), so a year of 15-minute rows leaves the database as 168 hours of the week.
  const rollupRows = (range: RollupQuery.RollupRange) => {
    let select = kysely
      .selectFrom("close_rollup")
      .select(RollupWriter.columns)
      .where("span", "=", range.span)
      // A literal '': SQLite uses the partial index `close_rollup_all` only for a constant.
      .where("symbol", range.bySymbol ? "<>" : "=", sql.lit(CloseRollup.ALL))
    if (range.from !== undefined) select = select.where("start", ">=", range.from)
    if (range.to !== undefined) select = select.where("start", "<", range.to)
    return select.orderBy("start").orderBy("symbol")
  }
  const rollupTotals = (range: RollupQuery.RollupRange, grouping: RollupQuery.Grouping | undefined) => {
    const group = grouping === undefined
      ? sql<number>`0`
      : grouping.cycle === undefined
      ? sql<number>`(start + ${sql.lit(Math.trunc(grouping.shift))}) / ${sql.lit(Math.trunc(grouping.size))}`
      : sql<number>`((start + ${sql.lit(Math.trunc(grouping.shift))}) / ${sql.lit(Math.trunc(grouping.size))}) % ${sql.lit(Math.trunc(grouping.cycle))}`
    let select = kysely
      .selectFrom("close_rollup")
      .select([
        group.as("grp"),
        "symbol",
        sql<number>`sum(realized_pnl)`.as("realized_pnl"),
        sql<number>`sum(realized_pnl_c)`.as("realized_pnl_c"),
        sql<number>`sum(round_trips)`.as("round_trips"),
        sql<number>`sum(wins)`.as("wins")
      ])
      .where("span", "=", range.span)
      .where("symbol", range.bySymbol ? "<>" : "=", sql.lit(CloseRollup.ALL))
    if (range.from !== undefined) select = select.where("start", ">=", range.from)
    if (range.to !== undefined) select = select.where("start", "<", range.to)
    return select.groupBy([sql`grp`, "symbol"]).orderBy(sql`grp`).orderBy("symbol")
  }

  const attempt = <A>(operation: string, run: () => A): Effect.Effect<A, StoreError> =>
    Effect.try({ try: run, catch: (cause) => SqliteSpecific.toStoreError(operation, cause) })

  const counts = kysely.selectNoFrom((eb) => [
    eb.selectFrom("open_trades").select(eb.fn.countAll<number>().as("n")).as("openTrades"),
    eb.selectFrom("closed_trades").select(eb.fn.countAll<number>().as("n")).as("closes"),
    eb.selectFrom("fills").select(eb.fn.countAll<number>().as("n")).as("fills"),
    eb.selectFrom("processed_events").select(eb.fn.countAll<number>().as("n")).as("events"),
    eb.selectFrom("parked_closes").select(eb.fn.countAll<number>().as("n")).as("parked")
  ])

  return TradeStore.of({
    commit: (batch) => Effect.map(commitMany([batch]), (results) => results[0] ?? "committed"),
    commitMany,
    isProcessed: (eventKey) => attempt("isProcessed", () => processedAmong([eventKey]).size > 0),
    processedAmong: (eventKeys) => attempt("processedAmong", () => processedAmong(eventKeys)),
    parkedCloses: attempt("parkedCloses", (): Array<ParkedCloseRecord> =>
      query.all(kysely.selectFrom("parked_closes").selectAll().orderBy("parked_at").orderBy("event_key"))
    ),
    openTrades: attempt("openTrades", () =>
      query.all(kysely.selectFrom("open_trades").selectAll().orderBy("opened_at").orderBy("trade_id"))
    ),
    netPositions: attempt("netPositions", () =>
      query.all(kysely.selectFrom("net_positions").selectAll().orderBy("symbol").orderBy("side"))
    ),
    closedTrades: (range) =>
      attempt("closedTrades", () => {
        let select = kysely.selectFrom("closed_trades").select(RecordRows.closeColumns)
        if (range?.from !== undefined) select = select.where("closed_at", ">=", range.from)
        if (range?.to !== undefined) select = select.where("closed_at", "<", range.to)
        select = select.orderBy("closed_at").orderBy("close_id")
        const limit = rowLimit(range)
        return RecordRows.rowsToCloses(query.all(limit === undefined ? select : select.limit(limit)))
      }),
    fills: (range) =>
      attempt("fills", (): Array<FillRecord> => {
        let select = kysely.selectFrom("fills").selectAll()
        if (range?.from !== undefined) select = select.where("executed_at", ">=", range.from)
        if (range?.to !== undefined) select = select.where("executed_at", "<", range.to)
        select = select.orderBy("executed_at").orderBy("fill_key")
        const limit = rowLimit(range)
        return query.all(limit === undefined ? select : select.limit(limit))
      }),
    // Keyset pages on the reads' order: each page one index seek, whatever the range's length.
    streamCloses: (range) =>
      Paging.keyset(
        (after: readonly [number, string] | undefined, size) =>
          attempt("streamCloses", () => {
            let select = kysely.selectFrom("closed_trades").select(RecordRows.closeColumns)
            if (range?.from !== undefined) select = select.where("closed_at", ">=", range.from)
            if (range?.to !== undefined) select = select.where("closed_at", "<", range.to)
            if (after !== undefined) {
              // A row-value comparison: the index on (closed_at, close_id) seeks to it (an OR would scan).
              select = select.where((eb) => eb(eb.refTuple("closed_at", "close_id"), ">", eb.tuple(after[0], after[1])))
            }
            return RecordRows.rowsToCloses(query.all(select.orderBy("closed_at").orderBy("close_id").limit(size)))
          }),
        (close) => [close.closed_at, close.close_id] as const,
        { limit: rowLimit(range) }
      ),
    streamFills: (range) =>
      Paging.keyset(
        (after: readonly [number, string] | undefined, size) =>
          attempt("streamFills", (): Array<FillRecord> => {
            let select = kysely.selectFrom("fills").selectAll()
            if (range?.from !== undefined) select = select.where("executed_at", ">=", range.from)
            if (range?.to !== undefined) select = select.where("executed_at", "<", range.to)
            if (after !== undefined) {
              select = select.where((eb) => eb(eb.refTuple("executed_at", "fill_key"), ">", eb.tuple(after[0], after[1])))
            }
            return query.all(select.orderBy("executed_at").orderBy("fill_key").limit(size))
          }),
        (fill) => [fill.executed_at, fill.fill_key] as const,
        { limit: rowLimit(range) }
      ),
    realizedBuckets: attempt("realizedBuckets", (): Array<RealizedBucket> =>
      query.all(realizedBuckets).map(({ bucket, ...sums }) => ({
        start: Number(bucket) * REALIZED_BUCKET_MS,
        realized_pnl: sums.realized_pnl,
        fees: sums.fees,
        gross_profit: sums.gross_profit,
        gross_loss: sums.gross_loss,
        round_trips: Number(sums.round_trips),
        wins: Number(sums.wins),
        losses: Number(sums.losses),
        breakevens: Number(sums.breakevens),
        best: sums.best,
        worst: sums.worst
      }))
    ),
    closeRollup: (range) =>
      attempt("closeRollup", (): Array<CloseRollup.CloseRollupRecord> =>
        query.all(rollupRows(range)).map((row) => ({ ...row, span: row.span as CloseRollup.Span }))
      ),
    closeRollupTotals: (range, grouping) =>
      attempt("closeRollupTotals", (): Array<RollupQuery.RollupTotals> =>
        query.all(rollupTotals(range, grouping)).map(({ grp, ...totals }) => ({
          group: Number(grp),
          ...totals,
          round_trips: Number(totals.round_trips),
          wins: Number(totals.wins)
        }))
      ),
    saveMarks: (marks) => attempt("saveMarks", () => saveMarksInTransaction.immediate(marks)),
    marks: attempt("marks", (): Array<MarkRecord> =>
      query.all(kysely.selectFrom("last_prices").select(["symbol", "price", "at"]).orderBy("symbol"))
    ),
    dailyMarks: (range) =>
      attempt("dailyMarks", () => {
        let select = kysely.selectFrom("daily_marks").select(["symbol", "day", "price", "at"])
        if (range?.from !== undefined) select = select.where("day", ">=", Math.ceil(range.from / 86_400_000))
        if (range?.to !== undefined) select = select.where("day", "<", Math.ceil(range.to / 86_400_000))
        return query.all(select.orderBy("day").orderBy("symbol"))
      }),
    counts: attempt("counts", () => {
      const row = query.first(counts)
      return {
        openTrades: Number(row?.openTrades ?? 0),
        closes: Number(row?.closes ?? 0),
        fills: Number(row?.fills ?? 0),
        events: Number(row?.events ?? 0),
        parked: Number(row?.parked ?? 0)
      }
    }),
    ping: attempt("ping", () => {
      query.first(kysely.selectNoFrom(sql<number>`1`.as("one")))
    }),
    where: `sqlite ${path}`
  })
})

/** The {@link TradeStore} on the {@link SqliteDatabase} layer it is given. */
export const layer: Layer.Layer<TradeStore, never, SqliteDatabase> = Layer.effect(TradeStore, make)
