/**
 * The `TradeStore` port on the shared PostgreSQL pool, scoped to the database's account: every
 * statement names `account_id`, so accounts sharing the database never see each other's rows.
 *
 * A `commitMany` is one transaction (`begin … commit` on one client) over all its batches, in
 * order (`commit` is `commitMany` of one batch), written by a handful of named prepared
 * statements whatever the number of rows (`internal/BatchWriter.ts`). A failing statement rolls
 * the whole call back, keys included. Reads are built by kysely per call.
 *
 * @since 0.1.0
 */
import {
  CloseRollup,
  RollupQuery,
  type ClosedTradeRecord,
  closedTradeFields,
  type CommitResult,
  type FillRecord,
  type MarkRecord,
  type NetPositionRecord,
  type OpenTradeRecord,
  Paging,
  type ParkedCloseRecord,
  type RealizedBucket,
  Sum,
  type StoreBatch,
  type StoreError,
  TradeStore,
  type TradeStoreService
} from "@portfolio/core"
import { Effect, Layer } from "effect"
import { sql } from "kysely"
import * as BatchWriter from "./internal/BatchWriter.js"
import * as PostgresSpecific from "./internal/PostgresSpecific.js"
import { rowLimit } from "./internal/RowLimit.js"
import { inTransaction } from "./internal/Statements.js"
import { PostgresDatabase } from "./PostgresDatabase.js"

const closeColumns = closedTradeFields

const openTradeColumns = [
  "trade_id",
  "symbol",
  "side",
  "entry_price",
  "size",
  "original_size",
  "leverage",
  "category",
  "opened_at",
  "realized_pnl",
  "fees",
  "updated_at"
] as const satisfies ReadonlyArray<keyof OpenTradeRecord>

const netPositionColumns = [
  "symbol",
  "side",
  "size",
  "entry_price",
  "leverage",
  "opened_at",
  "realized_pnl",
  "fees",
  "updated_at"
] as const satisfies ReadonlyArray<keyof NetPositionRecord>

const fillColumns = [
  "fill_key",
  "order_id",
  "fill_id",
  "symbol",
  "side",
  "position_side",
  "quantity",
  "price",
  "fee",
  "realized_pnl",
  "executed_at"
] as const satisfies ReadonlyArray<keyof FillRecord>

/** A trade store on the {@link PostgresDatabase} in context. */
export const make: Effect.Effect<TradeStoreService, never, PostgresDatabase> = Effect.map(
  PostgresDatabase,
  ({ accountId, kysely, pool, scrub, where }) => {
    const writer = BatchWriter.make(kysely)
    const lock = BatchWriter.lockOf(accountId)

    // The day's row of each mark (migration 0005), one statement; within a call the latest
    // mark of a (symbol, day) wins, as saving them one after another would.
    const saveDailyMarks = async (marks: ReadonlyArray<MarkRecord>): Promise<void> => {
      const latest = new Map<string, MarkRecord>()
      for (const m of marks) {
        const key = `${Math.floor(m.at / 86_400_000)}:${m.symbol}`
        const known = latest.get(key)
        if (known === undefined || known.at <= m.at) latest.set(key, m)
      }
      const rows = [...latest.values()]
      await pool.query({
        name: "portfolio_save_daily_marks",
        text: `insert into daily_marks (account_id, symbol, day, price, at)
          select $1, m.symbol, (m.at / 86400000)::integer, m.price, m.at
          from unnest($2::text[], $3::double precision[], $4::bigint[]) as m(symbol, price, at)
          on conflict (account_id, day, symbol) do update set price = excluded.price, at = excluded.at
          where daily_marks.at <= excluded.at`,
        values: [accountId, rows.map((m) => m.symbol), rows.map((m) => m.price), rows.map((m) => m.at)]
      })
    }

    const rollupRows = <C extends keyof CloseRollup.CloseRollupRecord>(range: RollupQuery.RollupRange, columns: ReadonlyArray<C>) => {
      let select = kysely
        .selectFrom("close_rollup")
        .select(columns)
        .where("account_id", "=", accountId)
        .where("span", "=", range.span)
        .where("symbol", range.bySymbol ? "<>" : "=", CloseRollup.ALL)
      if (range.from !== undefined) select = select.where("start", ">=", range.from)
      if (range.to !== undefined) select = select.where("start", "<", range.to)
      return select.orderBy("start").orderBy("symbol")
    }

    const attempt = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, StoreError> =>
      Effect.tryPromise({ try: run, catch: (cause) => PostgresSpecific.toStoreError(operation, cause, scrub) })

    const commitMany = (batches: ReadonlyArray<StoreBatch>) =>
      attempt("commit", (): Promise<ReadonlyArray<CommitResult>> =>
        batches.length === 0
          ? Promise.resolve([])
          : inTransaction(pool, (client) => writer.write(client, accountId, batches), {
            lock: BatchWriter.hasCloses(batches) ? lock : undefined
          }))

    // The closes summed per 15-minute bucket, kept by the commits (`realized_buckets`): O(buckets).
    const realizedBuckets = kysely
      .selectFrom("realized_buckets")
      .select([
        "bucket_start",
        "realized_pnl",
        "realized_pnl_c",
        "fees",
        "fees_c",
        "gross_profit",
        "gross_profit_c",
        "gross_loss",
        "gross_loss_c",
        "round_trips",
        "wins",
        "losses",
        "breakevens",
        "best",
        "worst"
      ])
      .where("account_id", "=", accountId)
      .orderBy("bucket_start")
      .compile()
    type BucketRow = [number, number, number, number, number, number, number, number, number, number, number, number, number, number | null, number | null]

    const counts = kysely.selectNoFrom((eb) => [
      eb.selectFrom("open_trades").where("account_id", "=", accountId).select(eb.fn.countAll<number>().as("n")).as("openTrades"),
      eb.selectFrom("closed_trades").where("account_id", "=", accountId).select(eb.fn.countAll<number>().as("n")).as("closes"),
      eb.selectFrom("fills").where("account_id", "=", accountId).select(eb.fn.countAll<number>().as("n")).as("fills"),
      eb.selectFrom("processed_events").where("account_id", "=", accountId).select(eb.fn.countAll<number>().as("n")).as("events"),
      eb.selectFrom("parked_closes").where("account_id", "=", accountId).select(eb.fn.countAll<number>().as("n")).as("parked")
    ])

    return TradeStore.of({
      commit: (batch) => Effect.map(commitMany([batch]), (results) => results[0] ?? "committed"),
      commitMany,
      isProcessed: (eventKey) =>
        attempt("isProcessed", async () => (await writer.processedAmong(pool, accountId, [eventKey])).size > 0),
      processedAmong: (eventKeys) => attempt("processedAmong", () => writer.processedAmong(pool, accountId, eventKeys)),
      parkedCloses: attempt("parkedCloses", (): Promise<Array<ParkedCloseRecord>> =>
        kysely
          .selectFrom("parked_closes")
          .select(["event_key", "trade_id", "event", "parked_at"])
          .where("account_id", "=", accountId)
          .orderBy("parked_at")
          .orderBy("event_key")
          .execute()),
      openTrades: attempt("openTrades", (): Promise<Array<OpenTradeRecord>> =>
        kysely
          .selectFrom("open_trades")
          .select(openTradeColumns)
          .where("account_id", "=", accountId)
          .orderBy("opened_at")
          .orderBy("trade_id")
          .execute()),
      netPositions: attempt("netPositions", (): Promise<Array<NetPositionRecord>> =>
        kysely
          .selectFrom("net_positions")
          .select(netPositionColumns)
          .where("account_id", "=", accountId)
          .orderBy("symbol")
          .orderBy("side")
          .execute()),
      closedTrades: (range) =>
        attempt("closedTrades", (): Promise<Array<ClosedTradeRecord>> => {
          let select = kysely.selectFrom("closed_trades").select(closeColumns).where("account_id", "=", accountId)
          if (range?.from !== undefined) select = select.where("closed_at", ">=", range.from)
          if (range?.to !== undefined) select = select.where("closed_at", "<", range.to)
          select = select.orderBy("closed_at").orderBy("close_id")
          const limit = rowLimit(range)
          return (limit === undefined ? select : select.limit(limit)).execute()
        }),
      fills: (range) =>
        attempt("fills", (): Promise<Array<FillRecord>> => {
          let select = kysely.selectFrom("fills").select(fillColumns).where("account_id", "=", accountId)
          if (range?.from !== undefined) select = select.where("executed_at", ">=", range.from)
          if (range?.to !== undefined) select = select.where("executed_at", "<", range.to)
          select = select.orderBy("executed_at").orderBy("fill_key")
          const limit = rowLimit(range)
          return (limit === undefined ? select : select.limit(limit)).execute()
        }),
      // Keyset pages on the reads' order: each page one index seek, whatever the range's length.
      streamCloses: (range) =>
        Paging.keyset(
          (after: readonly [number, string] | undefined, size) =>
            attempt("streamCloses", (): Promise<Array<ClosedTradeRecord>> => {
              let select = kysely.selectFrom("closed_trades").select(closeColumns).where("account_id", "=", accountId)
              if (range?.from !== undefined) select = select.where("closed_at", ">=", range.from)
              if (range?.to !== undefined) select = select.where("closed_at", "<", range.to)
              if (after !== undefined) {
                // A row-value comparison: the index on (closed_at, close_id) seeks to it (an OR would scan).
                select = select.where((eb) => eb(eb.refTuple("closed_at", "close_id"), ">", eb.tuple(after[0], after[1])))
              }
              return select.orderBy("closed_at").orderBy("close_id").limit(size).execute()
            }),
          (close) => [close.closed_at, close.close_id] as const,
          { limit: rowLimit(range) }
        ),
      streamFills: (range) =>
        Paging.keyset(
          (after: readonly [number, string] | undefined, size) =>
            attempt("streamFills", (): Promise<Array<FillRecord>> => {
              let select = kysely.selectFrom("fills").select(fillColumns).where("account_id", "=", accountId)
              if (range?.from !== undefined) select = select.where("executed_at", ">=", range.from)
              if (range?.to !== undefined) select = select.where("executed_at", "<", range.to)
              if (after !== undefined) {
                select = select.where((eb) => eb(eb.refTuple("executed_at", "fill_key"), ">", eb.tuple(after[0], after[1])))
              }
              return select.orderBy("executed_at").orderBy("fill_key").limit(size).execute()
            }),
          (fill) => [fill.executed_at, fill.fill_key] as const,
          { limit: rowLimit(range) }
        ),
      realizedBuckets: attempt("realizedBuckets", async (): Promise<Array<RealizedBucket>> => {
        // Rows as arrays (tens of thousands of rows at start: pg's row objects cost more).
        const result = await pool.query<BucketRow>({
          text: realizedBuckets.sql,
          values: [...realizedBuckets.parameters],
          rowMode: "array"
        })
        return result.rows.map((r) => ({
          start: r[0],
          realized_pnl: Sum.value({ total: r[1], compensation: r[2] }),
          fees: Sum.value({ total: r[3], compensation: r[4] }),
          gross_profit: Sum.value({ total: r[5], compensation: r[6] }),
          gross_loss: Sum.value({ total: r[7], compensation: r[8] }),
          round_trips: r[9],
          wins: r[10],
          losses: r[11],
          breakevens: r[12],
          best: r[13],
          worst: r[14]
        }))
      }),
      // The close rollup (migration 0006). Totals are grouped here rather than by `sum` in SQL:
      // PostgreSQL's float sum is not compensated (and `numeric` keeps 15 digits of a double).
      closeRollup: (range) =>
        attempt("closeRollup", (): Promise<Array<CloseRollup.CloseRollupRecord>> => rollupRows(range, BatchWriter.rollupColumns).execute() as never),
      closeRollupTotals: (range, grouping) =>
        attempt("closeRollupTotals", async (): Promise<Array<RollupQuery.RollupTotals>> =>
          RollupQuery.totalsOf(await rollupRows(range, ["start", "symbol", "realized_pnl", "realized_pnl_c", "round_trips", "wins"]).execute(), grouping)),
      saveMarks: (marks) =>
        attempt("saveMarks", async () => {
          if (marks.length > 0) {
            await writer.saveMarks(pool, accountId, marks)
            await saveDailyMarks(marks)
          }
        }),
      dailyMarks: (range) =>
        attempt("dailyMarks", async () => {
          let select = kysely.selectFrom("daily_marks").select(["symbol", "day", "price", "at"]).where("account_id", "=", accountId)
          if (range?.from !== undefined) select = select.where("day", ">=", Math.ceil(range.from / 86_400_000))
          if (range?.to !== undefined) select = select.where("day", "<", Math.ceil(range.to / 86_400_000))
          const rows = await select.orderBy("day").orderBy("symbol").execute()
          return rows.map((r) => ({ symbol: r.symbol, day: Number(r.day), price: Number(r.price), at: Number(r.at) }))
        }),
      marks: attempt("marks", (): Promise<Array<MarkRecord>> =>
        kysely
          .selectFrom("last_prices")
          .select(["symbol", "price", "at"])
          .where("account_id", "=", accountId)
          .orderBy("symbol")
          .execute()),
      counts: attempt("counts", async () => {
        const row = await counts.executeTakeFirst()
        return {
          openTrades: Number(row?.openTrades ?? 0),
          closes: Number(row?.closes ?? 0),
          fills: Number(row?.fills ?? 0),
          events: Number(row?.events ?? 0),
          parked: Number(row?.parked ?? 0)
        }
      }),
      ping: attempt("ping", async () => {
        await sql`select 1`.execute(kysely)
      }),
      where: `postgres ${where}`
    })
  }
)

/** The {@link TradeStore} on the {@link PostgresDatabase} layer it is given. */
export const layer: Layer.Layer<TradeStore, never, PostgresDatabase> = Layer.effect(TradeStore, make)
