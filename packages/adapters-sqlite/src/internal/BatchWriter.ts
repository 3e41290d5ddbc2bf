/**
 * Writes one `StoreBatch` with statements that kysely compiled once, when the store was made:
 * writing is binding values and running prepared statements, nothing else (no query building,
 * no SQL compilation, no statement lookup per row). The caller holds the transaction.
 *
 * Order within a batch: the event key (`on conflict do nothing`: no row inserted means a
 * duplicate, and nothing else is written), closes, fills, open-trade upserts, open-trade
 * deletes, net-position upserts, net-position deletes, parked closes, released parked closes.
 * So a key both upserted and deleted (or parked and released) in one batch ends up deleted.
 * After the batches of a call, the close rollup of their closes (`RollupWriter`).
 *
 * @internal
 */
import type { CommitResult, FillRecord, NetPositionRecord, OpenTradeRecord, StoreBatch } from "@portfolio/core"
import type BetterSqlite3 from "better-sqlite3"
import type { Kysely } from "kysely"
import type { ClosedTradesTable, Database, ParkedClosesTable, ProcessedEventsTable } from "../Tables.js"
import * as RecordRows from "./RecordRows.js"
import * as RollupWriter from "./RollupWriter.js"
import { placeholders, type SyncQuery } from "./SyncQuery.js"

/** Writes the batches of a call, in order, and answers each; call it inside a transaction. */
export interface BatchWriter {
  readonly write: (batches: ReadonlyArray<StoreBatch>) => Array<CommitResult>
  /** Call it when the transaction `write` ran in rolls back: forgets what it keeps of the written rows. */
  readonly rolledBack: () => void
}

/** Prepares the statements of a batch on `query`'s connection (and `sqlite`, the same one). */
export const make = (kysely: Kysely<Database>, query: SyncQuery, sqlite: BetterSqlite3.Database): BatchWriter => {
  const rollup = RollupWriter.make(sqlite)
  const insertEvent = query.prepare(
    placeholders<ProcessedEventsTable>({ event_key: true, event_type: true, at: true }),
    (p) => kysely.insertInto("processed_events").values(p).onConflict((oc) => oc.column("event_key").doNothing())
  )

  const insertClose = query.prepare(
    placeholders<ClosedTradesTable>({
      close_id: true,
      trade_id: true,
      symbol: true,
      side: true,
      entry_price: true,
      exit_price: true,
      quantity: true,
      realized_pnl: true,
      fees: true,
      opened_at: true,
      closed_at: true,
      remaining_size: true,
      orphan: true,
      over_close: true,
      round_trip_pnl: true
    }),
    (p) => kysely.insertInto("closed_trades").values(p)
  )

  const insertFill = query.prepare(
    placeholders<FillRecord>({
      fill_key: true,
      order_id: true,
      fill_id: true,
      symbol: true,
      side: true,
      position_side: true,
      quantity: true,
      price: true,
      fee: true,
      realized_pnl: true,
      executed_at: true
    }),
    (p) => kysely.insertInto("fills").values(p)
  )

  const upsertOpenTrade = query.prepare(
    placeholders<OpenTradeRecord>({
      trade_id: true,
      symbol: true,
      side: true,
      entry_price: true,
      size: true,
      original_size: true,
      leverage: true,
      category: true,
      opened_at: true,
      realized_pnl: true,
      fees: true,
      updated_at: true
    }),
    (p) =>
      kysely
        .insertInto("open_trades")
        .values(p)
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
  )

  const deleteOpenTrade = query.prepare(
    placeholders<{ trade_id: string }>({ trade_id: true }),
    (p) => kysely.deleteFrom("open_trades").where("trade_id", "=", p.trade_id)
  )

  const upsertNetPosition = query.prepare(
    placeholders<NetPositionRecord>({
      symbol: true,
      side: true,
      size: true,
      entry_price: true,
      leverage: true,
      opened_at: true,
      realized_pnl: true,
      fees: true,
      updated_at: true
    }),
    (p) =>
      kysely
        .insertInto("net_positions")
        .values(p)
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
  )

  const deleteNetPosition = query.prepare(
    placeholders<Pick<NetPositionRecord, "symbol" | "side">>({ symbol: true, side: true }),
    (p) => kysely.deleteFrom("net_positions").where("symbol", "=", p.symbol).where("side", "=", p.side)
  )

  const insertParked = query.prepare(
    placeholders<ParkedClosesTable>({ event_key: true, trade_id: true, event: true, parked_at: true }),
    (p) => kysely.insertInto("parked_closes").values(p)
  )

  const deleteParked = query.prepare(
    placeholders<{ event_key: string }>({ event_key: true }),
    (p) => kysely.deleteFrom("parked_closes").where("event_key", "=", p.event_key)
  )

  const writeBatch = (batch: StoreBatch): CommitResult => {
    const eventKey = batch.eventKey
    if (eventKey !== undefined && insertEvent.run({ event_key: eventKey, event_type: batch.eventType, at: batch.at }) === 0) {
      return "duplicate"
    }
    for (const close of batch.closes) insertClose.run(RecordRows.closeToRow(close))
    for (const fill of batch.fills) insertFill.run(fill)
    for (const trade of batch.upsertOpenTrades) upsertOpenTrade.run(trade)
    for (const trade_id of batch.deleteOpenTrades) deleteOpenTrade.run({ trade_id })
    for (const position of batch.upsertNetPositions) upsertNetPosition.run(position)
    for (const position of batch.deleteNetPositions) deleteNetPosition.run(position)
    for (const parked of batch.parkCloses) insertParked.run(parked)
    for (const event_key of batch.releaseParked) deleteParked.run({ event_key })
    return "committed"
  }

  return {
    write: (batches) => {
      const results = batches.map(writeBatch)
      rollup.write(batches.flatMap((batch, i) => (results[i] === "committed" ? batch.closes : [])))
      return results
    },
    rolledBack: rollup.forget
  }
}
