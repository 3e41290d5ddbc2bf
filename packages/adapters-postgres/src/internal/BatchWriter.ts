/**
 * Writes the batches of one `commitMany` call with a handful of statements, whatever their
 * number of rows: one per table and kind of change (each a named prepared statement, its rows
 * passed as one array per column and `unnest`ed). The caller holds the transaction.
 *
 * Semantics, the same as applying the batches one by one (the contract's):
 *
 * 1. The event keys of the call go in first, in one `insert … on conflict do nothing returning
 *    event_key`. A batch whose key was not inserted (committed before), or whose key an earlier
 *    batch of the call carries, is a duplicate: nothing else of it is written. A batch without a
 *    key is always committed.
 * 2. The changes of the committed batches are folded in order: closes and fills are inserted
 *    (a key that exists, or that two batches carry, fails the whole call); for open trades and
 *    net positions only the last change of each key counts (an upsert after a delete is an
 *    upsert, a delete after an upsert a delete), so each key is upserted or deleted once; a
 *    close parked twice without a release in between fails the call, as does parking a close
 *    that is parked already.
 * 3. The closes' 15-minute buckets in `realized_buckets` are read and rewritten, each continued
 *    with its new closes in order by the core's compensated sums (`advanceBucket`). Concurrent
 *    commits of one account must not interleave there: the caller takes the account's advisory
 *    lock ({@link lockOf}) when a batch has closes.
 * 4. The close rollup (`close_rollup`) likewise: the rows the closes fall in are read in one
 *    statement, continued by the core's fold (`CloseRollup.update`; a row a close comes too
 *    late for is summed again from its closes) and written back in one.
 *
 * @internal
 */
import {
  CloseRollup,
  RealizedBuckets,
  Sum,
  type CommitResult,
  type FillRecord,
  type MarkRecord,
  type NetPositionRecord,
  type OpenTradeRecord,
  type ParkedCloseRecord,
  type StoreBatch,
  StoreError,
  type ClosedTradeRecord
} from "@portfolio/core"
import { type Kysely, type OnConflictBuilder, type OnConflictDatabase, type OnConflictTables, sql } from "kysely"
import type { Database } from "../Tables.js"
import { param, prepare, type Queryable, type Statement } from "./Statements.js"

type PgType = "text" | "float8" | "int8" | "bool"
type Table = keyof Database
/** A table's columns but `account_id`. */
type Row<T extends Table> = Omit<Database[T], "account_id">
/** The SQL type of every column but `account_id`: the compiler checks none is missing. */
type ColumnTypes<T extends Table> = { readonly [K in keyof Row<T>]-?: PgType }

/** Inserts many rows of `T` for one account, one array per column. */
export interface RowsInsert<R> {
  readonly statement: Statement<Record<string, unknown>, Record<string, unknown>>
  readonly run: (on: Queryable, accountId: string, rows: ReadonlyArray<R>) => Promise<unknown>
}

type Conflict<T extends Table> = (
  oc: OnConflictBuilder<OnConflictDatabase<Database, T>, OnConflictTables<T>>,
  excluded: (columns: ReadonlyArray<keyof Row<T> & string>) => Record<string, unknown>
) => any

/**
 * `insert into T (account_id, …) select $account, u.* from unnest($1::type[], …) as u`, with
 * an optional `on conflict` clause, compiled once and prepared under `name`.
 */
const rowsInsert = <T extends Table, R extends Row<T>>(
  kysely: Kysely<Database>,
  name: string,
  table: T,
  types: ColumnTypes<T>,
  conflict?: Conflict<T>
): RowsInsert<R> => {
  const columns = Object.keys(types) as Array<keyof Row<T> & string>
  const params = Object.fromEntries(["account_id", ...columns].map((c) => [c, param(c)])) as Record<string, unknown>
  const statement = prepare(name, params, (p) => {
    const arrays = sql.join(columns.map((c) => sql`${p[c]}::${sql.raw((types as Record<string, PgType>)[c] as string)}[]`))
    const insert = (kysely as unknown as Kysely<any>)
      .insertInto(table)
      .columns(["account_id", ...columns])
      .expression(sql`select ${p["account_id"]}::text, u.* from unnest(${arrays}) as u`)
    return conflict === undefined
      ? insert
      : insert.onConflict((oc) =>
        conflict(oc as never, (cols) => Object.fromEntries(cols.map((c) => [c, sql.ref(`excluded.${c}`)]))))
  })
  return {
    statement: statement as unknown as RowsInsert<R>["statement"],
    run: (on, accountId, rows) => {
      const values: Record<string, unknown> = { account_id: accountId }
      for (const column of columns) {
        const array = new Array<unknown>(rows.length)
        for (let i = 0; i < rows.length; i++) array[i] = (rows[i] as Record<string, unknown>)[column]
        values[column] = array
      }
      return statement.run(on, values)
    }
  }
}

const closeTypes: ColumnTypes<"closed_trades"> = {
  close_id: "text",
  trade_id: "text",
  symbol: "text",
  side: "text",
  entry_price: "float8",
  exit_price: "float8",
  quantity: "float8",
  realized_pnl: "float8",
  fees: "float8",
  opened_at: "int8",
  closed_at: "int8",
  remaining_size: "float8",
  orphan: "bool",
  over_close: "bool",
  round_trip_pnl: "float8"
}

const fillTypes: ColumnTypes<"fills"> = {
  fill_key: "text",
  order_id: "text",
  fill_id: "text",
  symbol: "text",
  side: "text",
  position_side: "text",
  quantity: "float8",
  price: "float8",
  fee: "float8",
  realized_pnl: "float8",
  executed_at: "int8"
}

const openTradeTypes: ColumnTypes<"open_trades"> = {
  trade_id: "text",
  symbol: "text",
  side: "text",
  entry_price: "float8",
  size: "float8",
  original_size: "float8",
  leverage: "float8",
  category: "text",
  opened_at: "int8",
  realized_pnl: "float8",
  fees: "float8",
  updated_at: "int8"
}

const netPositionTypes: ColumnTypes<"net_positions"> = {
  symbol: "text",
  side: "text",
  size: "float8",
  entry_price: "float8",
  leverage: "float8",
  opened_at: "int8",
  realized_pnl: "float8",
  fees: "float8",
  updated_at: "int8"
}

const parkedTypes: ColumnTypes<"parked_closes"> = { event_key: "text", trade_id: "text", event: "text", parked_at: "int8" }

const markTypes: ColumnTypes<"last_prices"> = { symbol: "text", price: "float8", at: "int8" }

const bucketTypes: ColumnTypes<"realized_buckets"> = {
  bucket_start: "int8",
  realized_pnl: "float8",
  realized_pnl_c: "float8",
  fees: "float8",
  fees_c: "float8",
  gross_profit: "float8",
  gross_profit_c: "float8",
  gross_loss: "float8",
  gross_loss_c: "float8",
  round_trips: "int8",
  wins: "int8",
  losses: "int8",
  breakevens: "int8",
  best: "float8",
  worst: "float8"
}

type BucketRow = Row<"realized_buckets">

const rollupTypes: ColumnTypes<"close_rollup"> = {
  span: "int8",
  start: "int8",
  symbol: "text",
  realized_pnl: "float8",
  realized_pnl_c: "float8",
  round_trip_pnl: "float8",
  round_trip_pnl_c: "float8",
  gross_profit: "float8",
  gross_profit_c: "float8",
  gross_loss: "float8",
  gross_loss_c: "float8",
  round_trips: "int8",
  wins: "int8",
  losses: "int8",
  best: "float8",
  worst: "float8",
  first_run: "int8",
  last_run: "int8",
  longest_win: "int8",
  longest_loss: "int8",
  last_closed_at: "int8",
  last_close_id: "text"
}

/** The columns of a close rollup row, for selects. */
export const rollupColumns = Object.keys(rollupTypes) as Array<keyof Row<"close_rollup">>

const emptyBucket = (bucket_start: number): BucketRow => ({
  bucket_start,
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
})

/**
 * A bucket's row after `closes`, added in order: the same steps as the core's
 * `RealizedBuckets.fromCloses` (its `Sum` accumulators, continued from the stored total and
 * compensation), so the stored sums are the core's to the last bit.
 */
const advanceBucket = (row: BucketRow, closes: ReadonlyArray<ClosedTradeRecord>): BucketRow => {
  const realized: Sum.Sum = { total: row.realized_pnl, compensation: row.realized_pnl_c }
  const fees: Sum.Sum = { total: row.fees, compensation: row.fees_c }
  const profit: Sum.Sum = { total: row.gross_profit, compensation: row.gross_profit_c }
  const loss: Sum.Sum = { total: row.gross_loss, compensation: row.gross_loss_c }
  let { best, breakevens, losses, round_trips, wins, worst } = row
  for (const close of closes) {
    Sum.add(realized, close.realized_pnl)
    Sum.add(fees, close.fees)
    const trip = close.round_trip_pnl
    if (trip !== null) {
      round_trips++
      if (trip > 0) {
        wins++
        Sum.add(profit, trip)
      } else if (trip < 0) {
        losses++
        Sum.add(loss, -trip)
      } else breakevens++
      best = best === null || trip > best ? trip : best
      worst = worst === null || trip < worst ? trip : worst
    }
  }
  return {
    bucket_start: row.bucket_start,
    realized_pnl: realized.total,
    realized_pnl_c: realized.compensation,
    fees: fees.total,
    fees_c: fees.compensation,
    gross_profit: profit.total,
    gross_profit_c: profit.compensation,
    gross_loss: loss.total,
    gross_loss_c: loss.compensation,
    round_trips,
    wins,
    losses,
    breakevens,
    best,
    worst
  }
}

/** The statements of the commit path, compiled once per store. */
export interface Writer {
  /** Writes `batches` (call it inside a transaction); answers each batch's result. */
  readonly write: (on: Queryable, accountId: string, batches: ReadonlyArray<StoreBatch>) => Promise<Array<CommitResult>>
  /** Saves marks: per symbol the latest (a later or equal time replaces), one statement. */
  readonly saveMarks: (on: Queryable, accountId: string, marks: ReadonlyArray<MarkRecord>) => Promise<void>
  /** Which of `keys` were committed, one statement. */
  readonly processedAmong: (on: Queryable, accountId: string, keys: ReadonlyArray<string>) => Promise<Set<string>>
}

interface ParkedFold {
  /** The first change of the key in the call was a park: the key must not be parked already. */
  readonly firstPark: ParkedCloseRecord | null
  /** A release happened: whatever was parked before is deleted. */
  released: boolean
  /** What is parked at the end of the call. */
  state: ParkedCloseRecord | null
}

/**
 * The advisory lock of an account's bucket updates: a fixed class (`0x504f5254`, "PORT") and a
 * 32-bit FNV-1a hash of the account id.
 */
export const lockOf = (accountId: string): readonly [number, number] => {
  let hash = 0x811c9dc5
  for (let i = 0; i < accountId.length; i++) {
    hash ^= accountId.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return [0x504f5254, hash | 0]
}

/** Whether writing `batches` may touch `realized_buckets` (then the account's lock is taken). */
export const hasCloses = (batches: ReadonlyArray<StoreBatch>): boolean => batches.some((b) => b.closes.length > 0)

/** Prepares the statements of the commit path. */
export const make = (kysely: Kysely<Database>): Writer => {
  const insertKeys = prepare(
    "portfolio_insert_event_keys",
    { account_id: param<string>("account_id"), event_key: param("event_key"), event_type: param("event_type"), at: param("at") },
    (p) =>
      kysely
        .insertInto("processed_events")
        .columns(["account_id", "event_key", "event_type", "at"])
        .expression(sql`select ${p.account_id}::text, u.* from unnest(${p.event_key}::text[], ${p.event_type}::text[], ${p.at}::int8[]) as u`)
        .onConflict((oc) => oc.doNothing())
        .returning("event_key")
  )

  const insertCloses = rowsInsert<"closed_trades", ClosedTradeRecord>(kysely, "portfolio_insert_closes", "closed_trades", closeTypes)
  const insertFills = rowsInsert<"fills", FillRecord>(kysely, "portfolio_insert_fills", "fills", fillTypes)
  const upsertOpenTrades = rowsInsert<"open_trades", OpenTradeRecord>(
    kysely,
    "portfolio_upsert_open_trades",
    "open_trades",
    openTradeTypes,
    (oc, excluded) =>
      oc.columns(["account_id", "trade_id"]).doUpdateSet(excluded([
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
      ]))
  )
  const upsertNetPositions = rowsInsert<"net_positions", NetPositionRecord>(
    kysely,
    "portfolio_upsert_net_positions",
    "net_positions",
    netPositionTypes,
    (oc, excluded) =>
      oc.columns(["account_id", "symbol", "side"]).doUpdateSet(excluded([
        "size",
        "entry_price",
        "leverage",
        "opened_at",
        "realized_pnl",
        "fees",
        "updated_at"
      ]))
  )
  const insertParked = rowsInsert<"parked_closes", ParkedCloseRecord>(kysely, "portfolio_insert_parked", "parked_closes", parkedTypes)
  const upsertMarks = rowsInsert<"last_prices", MarkRecord>(
    kysely,
    "portfolio_upsert_marks",
    "last_prices",
    markTypes,
    (oc, excluded) =>
      oc
        .columns(["account_id", "symbol"])
        .doUpdateSet(excluded(["price", "at"]))
        .where(sql<boolean>`last_prices.at <= excluded.at`)
  )

  const upsertBuckets = rowsInsert<"realized_buckets", BucketRow>(
    kysely,
    "portfolio_upsert_realized_buckets",
    "realized_buckets",
    bucketTypes,
    (oc, excluded) =>
      oc.columns(["account_id", "bucket_start"]).doUpdateSet(excluded(Object.keys(bucketTypes).filter((c) => c !== "bucket_start") as never))
  )
  const selectBuckets = prepare(
    "portfolio_select_realized_buckets",
    { account_id: param<string>("account_id"), starts: param<ReadonlyArray<number>>("starts") },
    (p) =>
      kysely
        .selectFrom("realized_buckets")
        .select(Object.keys(bucketTypes) as Array<keyof BucketRow>)
        .where("account_id", "=", p.account_id)
        .where(sql<boolean>`bucket_start = any(${p.starts}::int8[])`)
  )

  const upsertRollup = rowsInsert<"close_rollup", CloseRollup.CloseRollupRecord>(
    kysely,
    "portfolio_upsert_close_rollup",
    "close_rollup",
    rollupTypes,
    (oc, excluded) =>
      oc.columns(["account_id", "span", "start", "symbol"]).doUpdateSet(excluded(rollupColumns.filter((c) => c !== "span" && c !== "start" && c !== "symbol") as never))
  )
  const selectRollup = prepare(
    "portfolio_select_close_rollup",
    { account_id: param<string>("account_id"), spans: param<ReadonlyArray<number>>("spans"), starts: param<ReadonlyArray<number>>("starts"), symbols: param<ReadonlyArray<string>>("symbols") },
    (p) =>
      kysely
        .selectFrom("close_rollup")
        .select(rollupColumns)
        .where("account_id", "=", p.account_id)
        .where(sql<boolean>`(span, start, symbol) in (select * from unnest(${p.spans}::int8[], ${p.starts}::int8[], ${p.symbols}::text[]))`)
  )
  const selectCloses = prepare(
    "portfolio_select_closes_of_span",
    { account_id: param<string>("account_id"), from: param<number>("from"), to: param<number>("to"), symbol: param<string>("symbol") },
    (p) =>
      kysely
        .selectFrom("closed_trades")
        .select(["close_id", "symbol", "closed_at", "realized_pnl", "round_trip_pnl"])
        .where("account_id", "=", p.account_id)
        .where("closed_at", ">=", p.from)
        .where("closed_at", "<", p.to)
        .where(sql<boolean>`(${p.symbol}::text = '' or symbol = ${p.symbol}::text)`)
  )

  /** The close rollup continued with `closes`, inserted already (the caller holds the account's lock). */
  const writeRollup = async (on: Queryable, accountId: string, closes: ReadonlyArray<ClosedTradeRecord>): Promise<void> => {
    const rows = CloseRollup.byRow(closes)
    const list = [...rows.values()].map((entry) => entry.key)
    const found = await selectRollup.run(on, {
      account_id: accountId,
      spans: list.map((k) => k.span),
      starts: list.map((k) => k.start),
      symbols: list.map((k) => k.symbol)
    })
    const stored = new Map(found.rows.map((row) => [CloseRollup.keyOf(row), row as CloseRollup.CloseRollupRecord]))
    const late = new Map<string, ReadonlyArray<CloseRollup.Close>>()
    for (const key of CloseRollup.lateKeys(stored, rows)) {
      const result = await selectCloses.run(on, { account_id: accountId, from: key.start, to: key.start + key.span, symbol: key.symbol })
      late.set(CloseRollup.keyOf(key), result.rows as Array<CloseRollup.Close>)
    }
    await upsertRollup.run(on, accountId, CloseRollup.update(stored, rows, (key) => late.get(CloseRollup.keyOf(key)) ?? []))
  }

  const keys = { account_id: param<string>("account_id"), keys: param<ReadonlyArray<string>>("keys") }
  const deleteOpenTrades = prepare("portfolio_delete_open_trades", keys, (p) =>
    kysely
      .deleteFrom("open_trades")
      .where("account_id", "=", p.account_id)
      .where(sql<boolean>`trade_id = any(${p.keys}::text[])`))
  const deleteParked = prepare("portfolio_delete_parked", keys, (p) =>
    kysely
      .deleteFrom("parked_closes")
      .where("account_id", "=", p.account_id)
      .where(sql<boolean>`event_key = any(${p.keys}::text[])`))
  const deleteNetPositions = prepare(
    "portfolio_delete_net_positions",
    { account_id: param<string>("account_id"), symbols: param("symbols"), sides: param("sides") },
    (p) =>
      kysely
        .deleteFrom("net_positions")
        .where("account_id", "=", p.account_id)
        .where(sql<boolean>`(symbol, side) in (select * from unnest(${p.symbols}::text[], ${p.sides}::text[]))`)
  )
  const selectProcessed = prepare("portfolio_select_processed", keys, (p) =>
    kysely
      .selectFrom("processed_events")
      .select("event_key")
      .where("account_id", "=", p.account_id)
      .where(sql<boolean>`event_key = any(${p.keys}::text[])`))

  const write: Writer["write"] = async (on, accountId, batches) => {
    // 1. The keys: the first batch carrying a key is the one that may commit it.
    const first = new Map<string, number>()
    batches.forEach((batch, i) => {
      if (batch.eventKey !== undefined && !first.has(batch.eventKey)) first.set(batch.eventKey, i)
    })
    let inserted = new Set<string>()
    if (first.size > 0) {
      const eventKeys: Array<string> = []
      const eventTypes: Array<string> = []
      const ats: Array<number> = []
      for (const [key, i] of first) {
        const batch = batches[i] as StoreBatch
        eventKeys.push(key)
        eventTypes.push(batch.eventType)
        ats.push(batch.at)
      }
      const result = await insertKeys.run(on, { account_id: accountId, event_key: eventKeys, event_type: eventTypes, at: ats })
      inserted = new Set(result.rows.map((r) => r.event_key))
    }
    const results = batches.map((batch, i): CommitResult =>
      batch.eventKey === undefined || (inserted.has(batch.eventKey) && first.get(batch.eventKey) === i) ? "committed" : "duplicate"
    )

    // 2. Fold the committed batches' changes, in order.
    const closes: Array<ClosedTradeRecord> = []
    const fills: Array<FillRecord> = []
    const openTrades = new Map<string, OpenTradeRecord | null>()
    const netPositions = new Map<string, NetPositionRecord | Pick<NetPositionRecord, "symbol" | "side">>()
    const netDeleted = new Set<string>()
    const parked = new Map<string, ParkedFold>()
    batches.forEach((batch, i) => {
      if (results[i] !== "committed") return
      for (const close of batch.closes) closes.push(close)
      for (const fill of batch.fills) fills.push(fill)
      for (const trade of batch.upsertOpenTrades) openTrades.set(trade.trade_id, trade)
      for (const tradeId of batch.deleteOpenTrades) openTrades.set(tradeId, null)
      for (const position of batch.upsertNetPositions) {
        const key = `${position.symbol}\u0000${position.side}`
        netPositions.set(key, position)
        netDeleted.delete(key)
      }
      for (const position of batch.deleteNetPositions) {
        const key = `${position.symbol}\u0000${position.side}`
        netPositions.set(key, { symbol: position.symbol, side: position.side })
        netDeleted.add(key)
      }
      for (const close of batch.parkCloses) {
        const fold = parked.get(close.event_key)
        if (fold === undefined) parked.set(close.event_key, { firstPark: close, released: false, state: close })
        else if (fold.state !== null) {
          throw new StoreError({
            operation: "commit",
            reason: `the close of event ${close.event_key} is parked twice in one call (a duplicate key)`,
            retryable: false
          })
        } else fold.state = close
      }
      for (const eventKey of batch.releaseParked) {
        const fold = parked.get(eventKey)
        if (fold === undefined) parked.set(eventKey, { firstPark: null, released: true, state: null })
        else {
          fold.released = true
          fold.state = null
        }
      }
    })

    // 3. One statement per table and kind of change.
    if (closes.length > 0) {
      await insertCloses.run(on, accountId, closes)
      // The buckets they fall in, continued close by close (the caller holds the account's lock).
      const byBucket = new Map<number, Array<ClosedTradeRecord>>()
      for (const close of closes) {
        const start = RealizedBuckets.bucketStart(close.closed_at)
        const list = byBucket.get(start)
        if (list === undefined) byBucket.set(start, [close])
        else list.push(close)
      }
      const stored = await selectBuckets.run(on, { account_id: accountId, starts: [...byBucket.keys()] })
      const current = new Map(stored.rows.map((row) => [row.bucket_start, row as BucketRow]))
      const next = [...byBucket].map(([start, list]) => advanceBucket(current.get(start) ?? emptyBucket(start), list))
      await upsertBuckets.run(on, accountId, next)
      await writeRollup(on, accountId, closes)
    }
    if (fills.length > 0) await insertFills.run(on, accountId, fills)
    if (openTrades.size > 0) {
      const upserts: Array<OpenTradeRecord> = []
      const deletes: Array<string> = []
      for (const [tradeId, trade] of openTrades) {
        if (trade === null) deletes.push(tradeId)
        else upserts.push(trade)
      }
      if (upserts.length > 0) await upsertOpenTrades.run(on, accountId, upserts)
      if (deletes.length > 0) await deleteOpenTrades.run(on, { account_id: accountId, keys: deletes })
    }
    if (netPositions.size > 0) {
      const upserts: Array<NetPositionRecord> = []
      const symbols: Array<string> = []
      const sides: Array<string> = []
      for (const [key, position] of netPositions) {
        if (netDeleted.has(key)) {
          symbols.push(position.symbol)
          sides.push(position.side)
        } else upserts.push(position as NetPositionRecord)
      }
      if (upserts.length > 0) await upsertNetPositions.run(on, accountId, upserts)
      if (symbols.length > 0) await deleteNetPositions.run(on, { account_id: accountId, symbols, sides })
    }
    if (parked.size > 0) {
      // Parked first in the call: must not be parked already (the insert fails if it is).
      const firstParks: Array<ParkedCloseRecord> = []
      const released: Array<string> = []
      const parkedAgain: Array<ParkedCloseRecord> = []
      for (const [eventKey, fold] of parked) {
        if (fold.firstPark !== null) firstParks.push(fold.firstPark)
        if (fold.released) {
          released.push(eventKey)
          if (fold.state !== null) parkedAgain.push(fold.state)
        }
      }
      if (firstParks.length > 0) await insertParked.run(on, accountId, firstParks)
      if (released.length > 0) await deleteParked.run(on, { account_id: accountId, keys: released })
      if (parkedAgain.length > 0) await insertParked.run(on, accountId, parkedAgain)
    }
    return results
  }

  const saveMarks: Writer["saveMarks"] = async (on, accountId, marks) => {
    // Per symbol, as if saved one by one: a later mark replaces an earlier one at the same time or later.
    const latest = new Map<string, MarkRecord>()
    for (const mark of marks) {
      const current = latest.get(mark.symbol)
      if (current === undefined || mark.at >= current.at) latest.set(mark.symbol, { symbol: mark.symbol, price: mark.price, at: mark.at })
    }
    if (latest.size > 0) await upsertMarks.run(on, accountId, [...latest.values()])
  }

  const processedAmong: Writer["processedAmong"] = async (on, accountId, eventKeys) => {
    if (eventKeys.length === 0) return new Set()
    const result = await selectProcessed.run(on, { account_id: accountId, keys: eventKeys })
    return new Set(result.rows.map((r) => r.event_key))
  }

  return { write, saveMarks, processedAmong }
}
