/**
 * Realized PnL broken down by calendar period, by heatmap cell and by symbol or sector, from
 * the stored closes (`ClosedTradeRecord`), in a time zone:
 *
 * - `pnl` sums every close's net `realized_pnl` (partial closes count at once, as the realized
 *   windows do);
 * - `trades`, `wins` and `win_rate` count round trips (closes with a `round_trip_pnl`) in the
 *   period they ended (`win_rate = wins / trades`, `null` when none) — Freqtrade's `/daily`,
 *   `/weekly`, `/monthly`;
 * - periods are local days, weeks (from Monday) and months (`Calendar`), every period from the
 *   first close's to the last's, zero-filled;
 * - heatmap cells: local weekday (0 = Monday) × hour, or symbol × local month.
 *
 * @since 0.3.0
 */
import type { ClosedTradeRecord } from "../schema/Records.js"
import * as Calendar from "./Calendar.js"
import { dayStart } from "./EquityCurve.js"
import { offsetIntervals } from "./RollupCover.js"
import * as Sum from "./Sum.js"

/** What the breakdowns read of a close. */
export type Close = Pick<ClosedTradeRecord, "symbol" | "closed_at" | "realized_pnl" | "round_trip_pnl">

/** A calendar unit of {@link periods}. */
export type Unit = "day" | "week" | "month"

/** PnL and round trips of one group (a period, a cell, a symbol, a sector). */
export interface Cell {
  readonly pnl: number
  readonly trades: number
  readonly wins: number
  readonly winRate: number | null
}

/** A group while it is summed. */
interface Acc {
  readonly pnl: Sum.Sum
  trades: number
  wins: number
}

const newAcc = (): Acc => ({ pnl: Sum.make(), trades: 0, wins: 0 })

const add = (acc: Acc, close: Close): void => {
  Sum.add(acc.pnl, close.realized_pnl)
  if (close.round_trip_pnl !== null) {
    acc.trades++
    if (close.round_trip_pnl > 0) acc.wins++
  }
}

const cellOf = (acc: Acc): Cell => ({
  pnl: Sum.value(acc.pnl),
  trades: acc.trades,
  wins: acc.wins,
  winRate: acc.trades === 0 ? null : acc.wins / acc.trades
})

const group = <K>(closes: Iterable<Close>, key: (c: Close) => K): Map<K, Cell> => {
  const accs = new Map<K, Acc>()
  for (const c of closes) {
    const k = key(c)
    let acc = accs.get(k)
    if (acc === undefined) accs.set(k, (acc = newAcc()))
    add(acc, c)
  }
  const out = new Map<K, Cell>()
  for (const [k, acc] of accs) out.set(k, cellOf(acc))
  return out
}

/** One calendar period. */
export interface Period extends Cell {
  /** The period's first local date, `YYYY-MM-DD`. */
  readonly start: string
}

const dayOfMonthKey = (month: number): number => Math.floor(Date.UTC(Math.floor(month / 12), month % 12, 1) / Calendar.DAY)

/** The key of the period `at` falls in, and the next period's key. */
const unitKey = (unit: Unit, calendar: Calendar.Calendar, at: number): number =>
  unit === "day" ? Calendar.dayKey(calendar, at) : unit === "week" ? Calendar.weekKey(calendar, at) : Calendar.monthKey(calendar, at)

/**
 * PnL per local period, oldest first, zero-filled: from the first close's period to the last's,
 * or, given `last` periods and `now`, exactly the `last` periods that end with the one `now`
 * falls in (closes outside them left out) — Freqtrade's `/daily?timescale=`.
 */
export const periods = (
  closes: Iterable<Close>,
  calendar: Calendar.Calendar,
  unit: Unit,
  latest?: { readonly last: number; readonly now: number }
): Array<Period> => {
  const cells = group(closes, (c) => unitKey(unit, calendar, c.closed_at))
  const step = unit === "week" ? 7 : 1
  let first: number
  let last: number
  if (latest !== undefined) {
    last = unitKey(unit, calendar, latest.now)
    first = last - (Math.max(1, latest.last) - 1) * step
  } else {
    if (cells.size === 0) return []
    const keys = [...cells.keys()]
    first = Math.min(...keys)
    last = Math.max(...keys)
  }
  const out: Array<Period> = []
  for (let k = first; k <= last; k += step) {
    const cell = cells.get(k) ?? { pnl: 0, trades: 0, wins: 0, winRate: null }
    out.push({ ...cell, start: Calendar.formatDay(unit === "month" ? dayOfMonthKey(k) : k) })
  }
  return out
}

/** A period as an instant range: its label (first local date) and `[from, to)`. */
export interface PeriodRange {
  readonly start: string
  readonly from: number
  readonly to: number
}

/**
 * The `last` periods of `unit` that end with the one `now` falls in, oldest first, as instant
 * ranges: what {@link periods} with `latest` reports on, for a reader that sums each range.
 */
export const lastPeriods = (calendar: Calendar.Calendar, unit: Unit, now: number, last: number): Array<PeriodRange> => {
  const step = unit === "week" ? 7 : 1
  const current = unitKey(unit, calendar, now)
  const n = Math.max(1, last)
  const from = periodStart(calendar, unit, now, n - 1)
  const to = periodStart(calendar, unit, now, -1)
  // Local midnights from the stretches of one offset (a few a year): `day × 1 d − offset` when
  // that instant has that offset, else (a midnight a change of offset skips) the day's start.
  const stretches = offsetIntervals(calendar.offsetAt, from, to + 1)
  const startOfDay = (day: number): number => {
    for (const s of stretches) {
      const t = day * Calendar.DAY - s.offset
      if (t >= s.from && t < s.to) return t
    }
    return dayStart(calendar, day)
  }
  const dayOf = (k: number) => (unit === "month" ? dayOfMonthKey(k) : k)
  const out: Array<PeriodRange> = []
  for (let back = n - 1; back >= 0; back--) {
    const k = current - back * step
    out.push({ start: Calendar.formatDay(dayOf(k)), from: back === n - 1 ? from : startOfDay(dayOf(k)), to: back === 0 ? to : startOfDay(dayOf(k + step)) })
  }
  return out
}

/** The instant the period of `unit` that `now` falls in, `back` periods earlier, starts. */
export const periodStart = (calendar: Calendar.Calendar, unit: Unit, now: number, back: number): number => {
  const key = unitKey(unit, calendar, now) - back * (unit === "week" ? 7 : 1)
  return dayStart(calendar, unit === "month" ? dayOfMonthKey(key) : key)
}

/** A heatmap cell: its row and column labels and its figures. */
export interface HeatmapCell extends Cell {
  readonly row: string
  readonly column: string
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const

/**
 * PnL by local weekday (rows `Mon` … `Sun`) and hour (columns `00` … `23`); only cells with
 * closes, in row then column order.
 */
export const weekdayHour = (closes: Iterable<Close>, calendar: Calendar.Calendar): Array<HeatmapCell> =>
  weekdayHourCells(group(closes, (c) => weekdayHourKey(calendar, c.closed_at)))

/** The heatmap cell of an instant: local weekday (0 = Monday) × 24 + local hour. */
export const weekdayHourKey = (calendar: Calendar.Calendar, at: number): number => {
  const local = at + calendar.offsetAt(at)
  const day = Math.floor(local / Calendar.DAY)
  const weekday = (((day + 3) % 7) + 7) % 7
  const hour = Math.floor((local - day * Calendar.DAY) / 3_600_000)
  return weekday * 24 + hour
}

/** {@link weekdayHour}'s cells from figures by {@link weekdayHourKey}. */
export const weekdayHourCells = (cells: ReadonlyMap<number, Cell>): Array<HeatmapCell> =>
  [...cells.entries()]
    .sort(([a], [b]) => a - b)
    .map(([k, cell]) => ({ ...cell, row: WEEKDAYS[Math.floor(k / 24)]!, column: String(k % 24).padStart(2, "0") }))

/** PnL by symbol (rows) and local month (columns `YYYY-MM`); only cells with closes, sorted. */
export const symbolMonth = (closes: Iterable<Close>, calendar: Calendar.Calendar): Array<HeatmapCell> =>
  symbolMonthCells(group(closes, (c) => symbolMonthKey(c.symbol, monthLabel(calendar, c.closed_at))))

/** The local month of an instant, `YYYY-MM`. */
export const monthLabel = (calendar: Calendar.Calendar, at: number): string =>
  Calendar.formatDay(dayOfMonthKey(Calendar.monthKey(calendar, at))).slice(0, 7)

/** The key of a symbol × month cell. */
export const symbolMonthKey = (symbol: string, month: string): string => `${symbol}\u0000${month}`

/** {@link symbolMonth}'s cells from figures by {@link symbolMonthKey}. */
export const symbolMonthCells = (cells: ReadonlyMap<string, Cell>): Array<HeatmapCell> =>
  [...cells.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, cell]) => {
      const [row, column] = k.split("\u0000") as [string, string]
      return { ...cell, row, column }
    })

/** PnL and round trips per key (symbol, or the sector `sectorOf` gives), largest PnL first. */
export const performance = (
  closes: Iterable<Close>,
  keyOf: (symbol: string) => string = (s) => s
): Array<Cell & { readonly key: string }> => performanceCells(group(closes, (c) => keyOf(c.symbol)))

/** {@link performance}'s rows from figures by key, largest PnL first. */
export const performanceCells = (cells: ReadonlyMap<string, Cell>): Array<Cell & { readonly key: string }> =>
  [...cells.entries()]
    .map(([key, cell]) => ({ ...cell, key }))
    .sort((a, b) => b.pnl - a.pnl || (a.key < b.key ? -1 : 1))
