/**
 * Reading the close rollup (`CloseRollup`): which rows a read selects ({@link RollupRange}), how
 * rows are summed into groups in the store ({@link Grouping}, {@link RollupTotals}), and the
 * reference computations of both ({@link select}, {@link totalsOf}) that the memory store
 * answers with and the contract holds every store to.
 *
 * @since 0.3.0
 */
import { ALL, type CloseRollupRecord, compareRows, type Span } from "./CloseRollup.js"
import * as Sum from "./Sum.js"

/** Which rows to read: those of `span` whose start is in `[from, to)`, for every symbol together or per symbol. */
export interface RollupRange {
  readonly span: Span
  readonly from?: number | undefined
  readonly to?: number | undefined
  /** Per symbol (`true`) or the rows of {@link ALL} (`false`). */
  readonly bySymbol: boolean
}

/**
 * How {@link RollupTotals} groups rows: by `floor((start + shift) / size) mod cycle`
 * (`cycle` absent: no modulo) — a local hour of the week is `size` 1 h, `shift` the zone's
 * offset plus 72 h (1970-01-01 was a Thursday), `cycle` 168. Absent: one group (`0`).
 */
export interface Grouping {
  readonly size: number
  readonly shift: number
  readonly cycle?: number | undefined
}

/** The additive figures of a group of rows: realized PnL (total and compensation), round trips, wins. */
export interface RollupTotals {
  readonly group: number
  /** The rows' symbol ({@link ALL} unless read per symbol). */
  readonly symbol: string
  readonly realized_pnl: number
  readonly realized_pnl_c: number
  readonly round_trips: number
  readonly wins: number
}

/** The group of a row's start. */
export const groupOf = (grouping: Grouping | undefined, start: number): number => {
  if (grouping === undefined) return 0
  const g = Math.floor((start + grouping.shift) / grouping.size)
  return grouping.cycle === undefined ? g : ((g % grouping.cycle) + grouping.cycle) % grouping.cycle
}

/**
 * The totals of `rows` (those a {@link RollupRange} selects) per group and symbol, sorted by
 * group then symbol: the reference of a store's grouped read. Realized PnL is one compensated
 * sum of the rows' totals and compensations, handed on as total and compensation (never
 * rounded to one number before the last step).
 */
export const totalsOf = (
  rows: Iterable<Pick<CloseRollupRecord, "start" | "symbol" | "realized_pnl" | "realized_pnl_c" | "round_trips" | "wins">>,
  grouping?: Grouping
): Array<RollupTotals> => {
  const groups = new Map<string, { group: number; symbol: string; pnl: Sum.Sum; round_trips: number; wins: number }>()
  for (const row of rows) {
    const group = groupOf(grouping, row.start)
    const k = `${group}:${row.symbol}`
    let acc = groups.get(k)
    if (acc === undefined) groups.set(k, (acc = { group, symbol: row.symbol, pnl: Sum.make(), round_trips: 0, wins: 0 }))
    Sum.add(acc.pnl, row.realized_pnl)
    Sum.add(acc.pnl, row.realized_pnl_c)
    acc.round_trips += row.round_trips
    acc.wins += row.wins
  }
  return [...groups.values()]
    .map((g) => ({ group: g.group, symbol: g.symbol, realized_pnl: g.pnl.total, realized_pnl_c: g.pnl.compensation, round_trips: g.round_trips, wins: g.wins }))
    .sort((a, b) => a.group - b.group || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0))
}

/** The rows of `rows` that `range` selects, in order. */
export const select = (rows: Iterable<CloseRollupRecord>, range: RollupRange): Array<CloseRollupRecord> =>
  [...rows]
    .filter((r) =>
      r.span === range.span && (range.bySymbol ? r.symbol !== ALL : r.symbol === ALL) &&
      (range.from === undefined || r.start >= range.from) && (range.to === undefined || r.start < range.to)
    )
    .sort(compareRows)
