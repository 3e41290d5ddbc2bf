/**
 * Exports of the store's history (DESIGN.md §6 "Export"), one definition for the CLI
 * (`portfolio export`) and the HTTP routes (`/api/portfolio/export/<dataset>.<format>`): the
 * rows of a dataset read as a `Stream` from the ports' streaming reads (constant memory
 * whatever the range) and encoded as text pieces, a chunk of rows at a time.
 *
 * | dataset | rows | time of a row |
 * | --- | --- | --- |
 * | `closes` | every close (`ClosedTradeRecord`): partial, full, orphan, fee records | `closed_at` |
 * | `trades` | round trips: the closes that end one, with the round trip's PnL (`round_trip_pnl`) | `closed_at` |
 * | `fills` | every applied fill (`FillRecord`) | `executed_at` |
 * | `equity` | the equity samples (`EquitySample`) | `at` |
 *
 * Formats: `csv` (RFC 4180, a header row, CRLF, times as epoch ms as in JSON), `json` (one
 * array), `ndjson` (one object per line). `from` is inclusive, `to` exclusive (epoch ms).
 *
 * @example
 * const text = Export.encode("closes", "csv", Export.rows("closes", { from, to }))
 * // Stream<string, StoreError, TradeStore | EquityHistory>
 *
 * @since 0.1.0
 */
import {
  type ClosedTradeRecord,
  closedTradeFields,
  EquityHistory,
  type EquitySample,
  type FillRecord,
  type StoreError,
  type TimeRange,
  TradeStore
} from "@portfolio/core"
import { Chunk, Option, Stream } from "effect"
import * as Csv from "./Csv.js"

/** What can be exported. */
export const datasets = ["trades", "closes", "fills", "equity"] as const
/** A dataset's name. */
export type Dataset = (typeof datasets)[number]

/** How it can be written. */
export const formats = ["csv", "json", "ndjson"] as const
/** A format's name. */
export type Format = (typeof formats)[number]

/** A round trip as exported in `trades`: the close that ended it, with its PnL. */
export interface TradeRow {
  readonly trade_id: string
  readonly symbol: string
  readonly side: string
  readonly entry_price: number | null
  /** Exit price of the close that ended the round trip. */
  readonly exit_price: number
  /** Quantity of that close. */
  readonly quantity: number
  readonly opened_at: number | null
  readonly closed_at: number
  /** The round trip's PnL: Σ its closes' net PnL − its opening fees. */
  readonly pnl: number
  /** Fees of the ending close. */
  readonly fees: number
  readonly orphan: boolean
  readonly close_id: string
}

/** The row type of each dataset. */
export interface Rows {
  readonly trades: TradeRow
  readonly closes: ClosedTradeRecord
  readonly fills: FillRecord
  readonly equity: EquitySample
}

/** The columns of each dataset, in order: the CSV header and the JSON fields. */
export const columns: { readonly [D in Dataset]: ReadonlyArray<keyof Rows[D] & string> } = {
  trades: ["trade_id", "symbol", "side", "entry_price", "exit_price", "quantity", "opened_at", "closed_at", "pnl", "fees", "orphan", "close_id"],
  closes: closedTradeFields,
  fills: ["fill_key", "order_id", "fill_id", "symbol", "side", "position_side", "quantity", "price", "fee", "realized_pnl", "executed_at"],
  equity: ["at", "equity", "cash", "unrealized_pnl"]
}

/** The media type of each format. */
export const contentType: { readonly [F in Format]: string } = {
  csv: "text/csv; charset=utf-8",
  json: "application/json",
  ndjson: "application/x-ndjson"
}

/** `closes.csv` → `["closes", "csv"]`; `undefined` for any other name. */
export const parseFileName = (name: string): readonly [Dataset, Format] | undefined => {
  const dot = name.lastIndexOf(".")
  const dataset = name.slice(0, dot) as Dataset
  const format = name.slice(dot + 1) as Format
  return dot > 0 && datasets.includes(dataset) && formats.includes(format) ? [dataset, format] : undefined
}

/** Every `<dataset>.<format>` file name, for documentation and routing. */
export const fileNames: ReadonlyArray<string> = datasets.flatMap((d) => formats.map((f) => `${d}.${f}`))

/** The round trip a close ends, or `undefined` when it ends none. */
export const tradeOf = (close: ClosedTradeRecord): TradeRow | undefined =>
  close.round_trip_pnl === null
    ? undefined
    : {
      trade_id: close.trade_id,
      symbol: close.symbol,
      side: close.side,
      entry_price: close.entry_price,
      exit_price: close.exit_price,
      quantity: close.quantity,
      opened_at: close.opened_at,
      closed_at: close.closed_at,
      pnl: close.round_trip_pnl,
      fees: close.fees,
      orphan: close.orphan,
      close_id: close.close_id
    }

/** The rows of a dataset in `range`, oldest first, streamed from the ports. */
export const rows = <D extends Dataset>(dataset: D, range: TimeRange = {}): Stream.Stream<Rows[D], StoreError, TradeStore | EquityHistory> => {
  const any = (() => {
    switch (dataset) {
      case "equity":
        return Stream.flatMap(EquityHistory, (h) => h.stream(range))
      case "fills":
        return Stream.flatMap(TradeStore, (s) => s.streamFills(range))
      case "closes":
        return Stream.flatMap(TradeStore, (s) => s.streamCloses(range))
      default:
        return Stream.flatMap(TradeStore, (s) => s.streamCloses(range)).pipe(Stream.filterMap((c) => Option.fromNullable(tradeOf(c))))
    }
  })()
  return any as Stream.Stream<Rows[D], StoreError, TradeStore | EquityHistory>
}

const jsonOf = <D extends Dataset>(dataset: D) => {
  const keys = columns[dataset] as ReadonlyArray<string>
  // The columns in their order, whatever the row object holds besides (a store's extra fields).
  return (row: Rows[D]): string => {
    const r = row as unknown as Record<string, unknown>
    const o: Record<string, unknown> = {}
    for (const k of keys) o[k] = r[k]
    return JSON.stringify(o)
  }
}

const csvOf = <D extends Dataset>(dataset: D) => {
  const keys = columns[dataset] as ReadonlyArray<string>
  const n = keys.length
  return (row: Rows[D]): string => {
    const r = row as unknown as Record<string, unknown>
    let line = Csv.field(r[keys[0]!])
    for (let i = 1; i < n; i++) line += "," + Csv.field(r[keys[i]!])
    return line + "\r\n"
  }
}

/**
 * The rows encoded in `format`, as text pieces (one per chunk of rows, so a page of the store
 * is one write): CSV starts with its header, JSON is one array (`[]` when empty), NDJSON one
 * object per line.
 */
export const encode = <D extends Dataset, E, R>(dataset: D, format: Format, rows: Stream.Stream<Rows[D], E, R>): Stream.Stream<string, E, R> => {
  switch (format) {
    case "csv": {
      const line = csvOf(dataset)
      return Stream.concat(
        Stream.succeed(Csv.row(columns[dataset])),
        Stream.mapChunks(rows, (chunk) => Chunk.of(Chunk.join(Chunk.map(chunk, line), "")))
      )
    }
    case "ndjson": {
      const json = jsonOf(dataset)
      return Stream.mapChunks(rows, (chunk) => Chunk.of(Chunk.join(Chunk.map(chunk, (r) => json(r) + "\n"), "")))
    }
    case "json": {
      const json = jsonOf(dataset)
      return Stream.suspend(() => {
        let first = true
        const body = Stream.mapChunks(rows, (chunk) => {
          if (Chunk.isEmpty(chunk)) return Chunk.empty<string>()
          const text = (first ? "" : ",") + Chunk.join(Chunk.map(chunk, json), ",")
          first = false
          return Chunk.of(text)
        })
        return Stream.concat(Stream.concat(Stream.succeed("["), body), Stream.succeed("]"))
      })
    }
  }
}
