/**
 * How a time range is read from the close rollup (`CloseRollup`) with the answer of its
 * closes: whole UTC days from the day rows, whole 15-minute spans from the 15-minute rows, and
 * the parts of a 15-minute span at either end from the closes themselves — a handful of rows
 * per day, a few closes at most per end. And the merge of what was read, in time order, into
 * the round-trip statistics (`TradeAnalytics`) and the per-group figures (`TradeBreakdown.Cell`).
 *
 * @since 0.3.0
 */
import * as CloseRollup from "./CloseRollup.js"
import type * as RollupQuery from "./RollupQuery.js"
import * as Sum from "./Sum.js"
import type * as TradeAnalytics from "./TradeAnalytics.js"

/** A part of a range: closes, or rows of one span, with starts (close times) in `[from, to)`. */
export interface Piece {
  readonly kind: "closes" | "rows"
  readonly span: CloseRollup.Span
  readonly from: number | undefined
  readonly to: number | undefined
}

const ceilTo = (x: number, span: number): number => Math.ceil(x / span) * span
const floorTo = (x: number, span: number): number => Math.floor(x / span) * span

/**
 * The pieces of `[from, to)` (either end open when `undefined`), in time order: closes before
 * the first 15-minute boundary and after the last, 15-minute rows up to the first day boundary
 * and after the last, day rows between.
 *
 * @example
 * // 10:07 to 10:52 of one day: closes 10:07–10:15, rows 10:15–10:45, closes 10:45–10:52
 * RollupCover.pieces(Date.UTC(2026, 0, 1, 10, 7), Date.UTC(2026, 0, 1, 10, 52))
 */
export const pieces = (from: number | undefined, to: number | undefined, days = true): Array<Piece> => {
  const { DAY, QUARTER } = CloseRollup
  const qFrom = from === undefined ? undefined : ceilTo(from, QUARTER)
  const qTo = to === undefined ? undefined : floorTo(to, QUARTER)
  if (qFrom !== undefined && qTo !== undefined && qFrom >= qTo) {
    return from !== undefined && to !== undefined && from >= to ? [] : [{ kind: "closes", span: QUARTER, from, to }]
  }
  const out: Array<Piece> = []
  if (from !== undefined && qFrom! > from) out.push({ kind: "closes", span: QUARTER, from, to: qFrom })
  const dFrom = qFrom === undefined ? undefined : ceilTo(qFrom, DAY)
  const dTo = qTo === undefined ? undefined : floorTo(qTo, DAY)
  if (!days || (dFrom !== undefined && dTo !== undefined && dFrom >= dTo)) {
    out.push({ kind: "rows", span: QUARTER, from: qFrom, to: qTo })
  } else {
    if (qFrom !== undefined && dFrom! > qFrom) out.push({ kind: "rows", span: QUARTER, from: qFrom, to: dFrom })
    out.push({ kind: "rows", span: DAY, from: dFrom, to: dTo })
    if (qTo !== undefined && qTo > dTo!) out.push({ kind: "rows", span: QUARTER, from: dTo, to: qTo })
  }
  if (to !== undefined && to > qTo!) out.push({ kind: "closes", span: QUARTER, from: qTo, to })
  return out
}

/** Round-trip figures being merged, in time order. */
export interface Summary {
  readonly won: Sum.Sum
  readonly lost: Sum.Sum
  readonly total: Sum.Sum
  trades: number
  wins: number
  losses: number
  runs: CloseRollup.Runs
}

/** An empty summary. */
export const emptySummary = (): Summary => ({
  won: Sum.make(),
  lost: Sum.make(),
  total: Sum.make(),
  trades: 0,
  wins: 0,
  losses: 0,
  runs: { first_run: 0, last_run: 0, longest_win: 0, longest_loss: 0 }
})

/** Adds a row that comes after everything added so far (the rows of {@link ALL}, or closes as rows). */
export const addRow = (summary: Summary, row: CloseRollup.CloseRollupRecord): void => {
  Sum.add(summary.won, row.gross_profit)
  Sum.add(summary.won, row.gross_profit_c)
  Sum.add(summary.lost, row.gross_loss)
  Sum.add(summary.lost, row.gross_loss_c)
  Sum.add(summary.total, row.round_trip_pnl)
  Sum.add(summary.total, row.round_trip_pnl_c)
  summary.runs = CloseRollup.mergeRuns(summary.runs, summary.trades, row, row.round_trips)
  summary.trades += row.round_trips
  summary.wins += row.wins
  summary.losses += row.losses
}

/** The totals `TradeAnalytics.fromTotals` computes the statistics from. */
export const totals = (summary: Summary): TradeAnalytics.Totals => ({
  trades: summary.trades,
  wins: summary.wins,
  losses: summary.losses,
  won: Sum.value(summary.won),
  lost: Sum.value(summary.lost),
  total: Sum.value(summary.total),
  longestWinStreak: summary.runs.longest_win,
  longestLossStreak: summary.runs.longest_loss
})

/** A group's figures being summed: realized PnL, round trips, wins. */
export interface Cell {
  readonly pnl: Sum.Sum
  trades: number
  wins: number
}

/** Adds grouped totals (or a row, or a close as a row) to a cell. */
export const addTotals = (cell: Cell, totals: Pick<RollupQuery.RollupTotals, "realized_pnl" | "realized_pnl_c" | "round_trips" | "wins">): void => {
  Sum.add(cell.pnl, totals.realized_pnl)
  Sum.add(cell.pnl, totals.realized_pnl_c)
  cell.trades += totals.round_trips
  cell.wins += totals.wins
}

/**
 * Cells by key, filled by {@link addTo}; {@link cells} gives `TradeBreakdown.Cell`s
 * (`win_rate = wins / trades`, `null` when none).
 */
export type Cells<K> = Map<K, Cell>

/** Adds totals to the cell of `key`. */
export const addTo = <K>(cells: Cells<K>, key: K, totals: Pick<RollupQuery.RollupTotals, "realized_pnl" | "realized_pnl_c" | "round_trips" | "wins">): void => {
  let cell = cells.get(key)
  if (cell === undefined) cells.set(key, (cell = { pnl: Sum.make(), trades: 0, wins: 0 }))
  addTotals(cell, totals)
}

/** The figures of each cell. */
export const cells = <K>(cells: Cells<K>): Map<K, { pnl: number; trades: number; wins: number; winRate: number | null }> =>
  new Map([...cells].map(([k, c]) => [k, { pnl: Sum.value(c.pnl), trades: c.trades, wins: c.wins, winRate: c.trades === 0 ? null : c.wins / c.trades }]))

/** Closes as rows of their own (one close each, in the order given): what the ends of a range add. */
export const closesAsRows = (closes: ReadonlyArray<CloseRollup.Close>): Array<CloseRollup.CloseRollupRecord> =>
  closes.map((c) => CloseRollup.advance(CloseRollup.empty(CloseRollup.QUARTER, c.closed_at, c.symbol), [c]))

/** A stretch of time with one offset of the zone. */
export interface OffsetInterval {
  readonly from: number
  readonly to: number
  readonly offset: number
}

/**
 * `[from, to)` cut where the zone's offset (`offsetAt`, `Calendar.offsetAt`) changes, each
 * stretch with its offset: checked once a week (no zone changes its offset twice within a week
 * and back), a change found to the 15-minute boundary it happens on (every zone's changes since
 * 1970 do).
 */
export const offsetIntervals = (offsetAt: (ms: number) => number, from: number, to: number): Array<OffsetInterval> => {
  const out: Array<OffsetInterval> = []
  let start = from
  let a = from
  let offset = offsetAt(a)
  while (a < to) {
    const b = Math.min(to, floorTo(a, CloseRollup.QUARTER) + 7 * CloseRollup.DAY)
    // The last instant of the step (of the range, for the last step).
    const probe = b < to ? b : to - 1
    if (offsetAt(probe) !== offset) {
      // The first 15-minute boundary in (a, probe] with another offset.
      let lo = floorTo(a, CloseRollup.QUARTER) / CloseRollup.QUARTER + 1
      let hi = Math.floor(probe / CloseRollup.QUARTER)
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2)
        if (offsetAt(mid * CloseRollup.QUARTER) !== offset) hi = mid
        else lo = mid + 1
      }
      const change = Math.min(lo * CloseRollup.QUARTER, to)
      out.push({ from: start, to: change, offset })
      start = a = change
      offset = offsetAt(a)
    } else a = b
  }
  if (start < to) out.push({ from: start, to, offset })
  return out
}

/** A close as grouped totals of its own (group 0): its net PnL, and a round trip (won or not) when it ends one. */
export const closeTotals = (close: CloseRollup.Close): RollupQuery.RollupTotals => ({
  group: 0,
  symbol: close.symbol,
  realized_pnl: close.realized_pnl,
  realized_pnl_c: 0,
  round_trips: close.round_trip_pnl === null ? 0 : 1,
  wins: close.round_trip_pnl !== null && close.round_trip_pnl > 0 ? 1 : 0
})
