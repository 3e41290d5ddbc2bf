/**
 * The `TradeStore` port on the shared SQLite database. A `commit` is one `BEGIN IMMEDIATE …
 * COMMIT` transaction: the event key is inserted first (`on conflict do nothing`; no row
 * inserted means a duplicate, and nothing else is written), then the closes, fills, upserts
 * and deletes, in that order. A failing statement rolls the whole batch back, key included.
 *
 * @since 0.1.0
 */
import {
  type CommitResult,
  type MarkRecord,
  REALIZED_BUCKET_MS,
  type RealizedBucket,
  type FillRecord,
  type NetPositionRecord,
  type OpenTradeRecord,
  type StoreBatch,
  type StoreError,
  TradeStore,
  type TradeStoreService
} from "@portfolio/core"
import { Effect, Layer } from "effect"
import { sql } from "kysely"
import * as RecordRows from "./internal/RecordRows.js"
import * as SqliteSpecific from "./internal/SqliteSpecific.js"
import * as SyncQuery from "./internal/SyncQuery.js"
import { rowLimit } from "./internal/RowLimit.js"
import { SqliteDatabase } from "./SqliteDatabase.js"
import type { ClosedTradesTable } from "./Tables.js"

/** A trade store on the {@link SqliteDatabase} in context. */
export const make: Effect.Effect<TradeStoreService, never, SqliteDatabase> = Effect.map(SqliteDatabase, ({ kysely, sqlite }) => {
  const query = SyncQuery.make(sqlite)

  const insertEvent = (batch: StoreBatch) =>
    kysely
      .insertInto("processed_events")
      .values({ event_key: batch.eventKey, event_type: batch.eventType, at: batch.at })
      .onConflict((oc) => oc.column("event_key").doNothing())

  const upsertOpenTrade = (trade: OpenTradeRecord) =>
    kysely
      .insertInto("open_trades")
      .values(trade)
      .onConflict((oc) =>
        oc.column("trade_id").doUpdateSet((eb) => ({
          symbol: eb.ref("excluded.symbol"),
          side: eb.ref("excluded.side"),
          entry_price: eb.ref("excluded.entry_price"),
          size: eb.ref("excluded.size"),
          original_size: eb.ref("excluded.original_size"),
          leverage: eb.ref("excluded.leverage"),
          category: eb.ref("excluded.category"),
          opened_at: eb.ref("excluded.opened_at"),
          realized_pnl: eb.ref("excluded.realized_pnl"),
          fees: eb.ref("excluded.fees"),
          updated_at: eb.ref("excluded.updated_at")
        }))
      )

  const upsertNetPosition = (position: NetPositionRecord) =>
    kysely
      .insertInto("net_positions")
      .values(position)
      .onConflict((oc) =>
        oc.columns(["symbol", "side"]).doUpdateSet((eb) => ({
          size: eb.ref("excluded.size"),
          entry_price: eb.ref("excluded.entry_price"),
          leverage: eb.ref("excluded.leverage"),
          opened_at: eb.ref("excluded.opened_at"),
          realized_pnl: eb.ref("excluded.realized_pnl"),
          fees: eb.ref("excluded.fees"),
          updated_at: eb.ref("excluded.updated_at")
        }))
      )

  const commitInTransaction = sqlite.transaction((batch: StoreBatch): CommitResult => {
    if (query.run(insertEvent(batch)) === 0) return "duplicate"
    for (const close of batch.closes) {
      query.run(kysely.insertInto("closed_trades").values(RecordRows.closeToRow(close)))
    }
    for (const fill of batch.fills) query.run(kysely.insertInto("fills").values(fill))
    for (const trade of batch.upsertOpenTrades) query.run(upsertOpenTrade(trade))
    for (const tradeId of batch.deleteOpenTrades) {
      query.run(kysely.deleteFrom("open_trades").where("trade_id", "=", tradeId))
    }
    for (const position of batch.upsertNetPositions) query.run(upsertNetPosition(position))
    for (const { side, symbol } of batch.deleteNetPositions) {
      query.run(kysely.deleteFrom("net_positions").where("symbol", "=", symbol).where("side", "=", side))
    }
    return "committed"
  })

  const saveMarksInTransaction = sqlite.transaction((marks: ReadonlyArray<MarkRecord>) => {
    for (const mark of marks) {
      query.run(
        kysely
          .insertInto("last_prices")
          .values({ symbol: mark.symbol, price: mark.price, at: mark.at })
          .onConflict((oc) =>
            oc
              .column("symbol")
              .doUpdateSet((eb) => ({ price: eb.ref("excluded.price"), at: eb.ref("excluded.at") }))
              .where("last_prices.at", "<=", (eb) => eb.ref("excluded.at"))
          )
      )
    }
  })

  // Closes summed per 15-minute bucket; integer division of epoch ms is portable (bigint in
  // PostgreSQL, INTEGER in SQLite). A trade close has a quantity or is a close of an unknown trade.
  const bucketExpr = sql<number>`closed_at / ${sql.lit(REALIZED_BUCKET_MS)}`
  const isTrade = sql`(quantity > 0 or orphan = 1)`
  const realizedBuckets = kysely
    .selectFrom("closed_trades")
    .select([
      bucketExpr.as("bucket"),
      sql<number>`sum(realized_pnl)`.as("realized_pnl"),
      sql<number>`sum(fees)`.as("fees"),
      sql<number>`sum(case when realized_pnl > 0 then realized_pnl else 0 end)`.as("gross_profit"),
      sql<number>`sum(case when realized_pnl < 0 then -realized_pnl else 0 end)`.as("gross_loss"),
      sql<number>`sum(case when ${isTrade} then 1 else 0 end)`.as("trade_closes"),
      sql<number>`sum(case when ${isTrade} and realized_pnl > 0 then 1 else 0 end)`.as("wins"),
      sql<number>`sum(case when ${isTrade} and realized_pnl < 0 then 1 else 0 end)`.as("losses"),
      sql<number | null>`max(case when ${isTrade} then realized_pnl end)`.as("best"),
      sql<number | null>`min(case when ${isTrade} then realized_pnl end)`.as("worst")
    ])
    .groupBy(bucketExpr)
    .orderBy(bucketExpr)

  const attempt = <A>(operation: string, run: () => A): Effect.Effect<A, StoreError> =>
    Effect.try({ try: run, catch: (cause) => SqliteSpecific.toStoreError(operation, cause) })

  const counts = kysely.selectNoFrom((eb) => [
    eb.selectFrom("open_trades").select(eb.fn.countAll<number>().as("n")).as("openTrades"),
    eb.selectFrom("closed_trades").select(eb.fn.countAll<number>().as("n")).as("closes"),
    eb.selectFrom("fills").select(eb.fn.countAll<number>().as("n")).as("fills"),
    eb.selectFrom("processed_events").select(eb.fn.countAll<number>().as("n")).as("events")
  ])

  return TradeStore.of({
    commit: (batch) => attempt("commit", () => commitInTransaction.immediate(batch)),
    isProcessed: (eventKey) =>
      attempt("isProcessed", () =>
        query.first(
          kysely.selectFrom("processed_events").select("event_key").where("event_key", "=", eventKey)
        ) !== undefined
      ),
    openTrades: attempt("openTrades", () =>
      query.all(kysely.selectFrom("open_trades").selectAll().orderBy("opened_at").orderBy("trade_id"))
    ),
    netPositions: attempt("netPositions", () =>
      query.all(kysely.selectFrom("net_positions").selectAll().orderBy("symbol").orderBy("side"))
    ),
    closedTrades: (range) =>
      attempt("closedTrades", () => {
        let select = kysely.selectFrom("closed_trades").selectAll()
        if (range?.from !== undefined) select = select.where("closed_at", ">=", range.from)
        if (range?.to !== undefined) select = select.where("closed_at", "<", range.to)
        select = select.orderBy("closed_at").orderBy("close_id")
        const limit = rowLimit(range)
        return RecordRows.rowsToCloses(
          query.all<ClosedTradesTable>(limit === undefined ? select : select.limit(limit))
        )
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
    realizedBuckets: attempt("realizedBuckets", (): Array<RealizedBucket> =>
      query.all(realizedBuckets).map(({ bucket, ...sums }) => ({
        start: Number(bucket) * REALIZED_BUCKET_MS,
        realized_pnl: sums.realized_pnl,
        fees: sums.fees,
        gross_profit: sums.gross_profit,
        gross_loss: sums.gross_loss,
        trade_closes: Number(sums.trade_closes),
        wins: Number(sums.wins),
        losses: Number(sums.losses),
        best: sums.best,
        worst: sums.worst
      }))
    ),
    saveMarks: (marks) => attempt("saveMarks", () => saveMarksInTransaction.immediate(marks)),
    marks: attempt("marks", (): Array<MarkRecord> =>
      query.all(kysely.selectFrom("last_prices").select(["symbol", "price", "at"]).orderBy("symbol"))
    ),
    counts: attempt("counts", () => {
      const row = query.first(counts)
      return {
        openTrades: Number(row?.openTrades ?? 0),
        closes: Number(row?.closes ?? 0),
        fills: Number(row?.fills ?? 0),
        events: Number(row?.events ?? 0)
      }
    }),
    ping: attempt("ping", () => {
      query.first(kysely.selectNoFrom(sql<number>`1`.as("one")))
    })
  })
})

/** The {@link TradeStore} on the {@link SqliteDatabase} layer it is given. */
export const layer: Layer.Layer<TradeStore, never, SqliteDatabase> = Layer.effect(TradeStore, make)
