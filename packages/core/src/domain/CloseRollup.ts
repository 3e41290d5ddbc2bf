/**
 * The closes summed per span of UTC time — 15 minutes and whole days — once for every symbol
 * together (`symbol` {@link ALL}) and once per symbol: what the trade figures of the analytics
 * routes read instead of the closes (DESIGN.md §6, §11). A store keeps these rows in the
 * transaction of each commit; this module is the reference computation and the fold a store
 * continues.
 *
 * A row holds, for the closes of its span (in `(closed_at, close_id)` order):
 *
 * - `realized_pnl`: every close's net PnL (partial closes too), and of the round trips that
 *   ended there (closes with a `round_trip_pnl`): their PnL, gross profit (Σ of wins), gross
 *   loss (|Σ of losses|) — each a compensated sum kept as total and compensation (`Sum`), so
 *   continuing a row adds exactly what summing the closes from scratch would;
 * - counts of round trips, wins (PnL > 0), losses (< 0); best and worst round trip;
 * - the round trips' runs, a summary that merges in time order ({@link Runs}).
 *
 * Every time zone's offset is a multiple of 15 minutes, so a 15-minute row never straddles a
 * local hour, day, week or month.
 *
 * @since 0.3.0
 */
import type { ClosedTradeRecord } from "../schema/Records.js"
import * as Sum from "./Sum.js"

/** 15 minutes of UTC time: the finer span. */
export const QUARTER = 900_000
/** A UTC day: the coarser span. */
export const DAY = 86_400_000
/** The span of a row. */
export type Span = typeof QUARTER | typeof DAY
/** Both spans, finer first. */
export const SPANS: ReadonlyArray<Span> = [QUARTER, DAY]
/** The `symbol` of the rows that take in every symbol. */
export const ALL = ""

/**
 * The runs of a sequence of round trips (wins +, losses −, break-evens 0): the first run and
 * the last as signed lengths (`+3` three wins, `−2` two losses, `0` a break-even, which is a run
 * of its own that nothing joins: it ends both streaks), the longest run of wins and of losses.
 * With the number of round trips this is a monoid ({@link mergeRuns}): the runs of two
 * sequences, one after the other, come from their summaries alone.
 */
export interface Runs {
  readonly first_run: number
  readonly last_run: number
  readonly longest_win: number
  readonly longest_loss: number
}

/** One row of the rollup. */
export interface CloseRollupRecord extends Runs {
  readonly span: Span
  /** The span's first millisecond (a multiple of `span`). */
  readonly start: number
  /** A symbol, or {@link ALL}. */
  readonly symbol: string
  readonly realized_pnl: number
  readonly realized_pnl_c: number
  readonly round_trip_pnl: number
  readonly round_trip_pnl_c: number
  readonly gross_profit: number
  readonly gross_profit_c: number
  readonly gross_loss: number
  readonly gross_loss_c: number
  readonly round_trips: number
  readonly wins: number
  readonly losses: number
  readonly best: number | null
  readonly worst: number | null
  /** The last close folded in, by `(closed_at, close_id)`: a store continues a row only with closes after it. */
  readonly last_closed_at: number
  readonly last_close_id: string
}

/** What the rollup reads of a close. */
export type Close = Pick<ClosedTradeRecord, "close_id" | "symbol" | "closed_at" | "realized_pnl" | "round_trip_pnl">

/** The start of the span of `span` that `at` falls in. */
export const startOf = (span: Span, at: number): number => Math.floor(at / span) * span

/** The rows a close adds to: each span, for every symbol and for its own. */
export const keysOf = (close: Close): Array<RowKey> =>
  SPANS.flatMap((span) => {
    const start = startOf(span, close.closed_at)
    return [{ span, start, symbol: ALL }, { span, start, symbol: close.symbol }]
  })

/** The order of closes: `(closed_at, close_id)`, ids by code unit (SQL's binary collation). */
export const compareCloses = (a: Close, b: Close): number =>
  a.closed_at - b.closed_at || (a.close_id < b.close_id ? -1 : a.close_id > b.close_id ? 1 : 0)

/** Whether `close` comes after every close folded into `row` (so `row` may be continued with it). */
export const follows = (row: CloseRollupRecord, close: Close): boolean =>
  row.last_close_id === "" ||
  close.closed_at > row.last_closed_at ||
  (close.closed_at === row.last_closed_at && close.close_id > row.last_close_id)

/** An empty row. */
export const empty = (span: Span, start: number, symbol: string): CloseRollupRecord => ({
  span,
  start,
  symbol,
  realized_pnl: 0,
  realized_pnl_c: 0,
  round_trip_pnl: 0,
  round_trip_pnl_c: 0,
  gross_profit: 0,
  gross_profit_c: 0,
  gross_loss: 0,
  gross_loss_c: 0,
  round_trips: 0,
  wins: 0,
  losses: 0,
  best: null,
  worst: null,
  first_run: 0,
  last_run: 0,
  longest_win: 0,
  longest_loss: 0,
  last_closed_at: 0,
  last_close_id: ""
})

const signOf = (pnl: number): number => (pnl > 0 ? 1 : pnl < 0 ? -1 : 0)

/** Whether round trips of these runs form a single run of wins or of losses. */
const isOneRun = (runs: Runs, trips: number): boolean => runs.first_run !== 0 && Math.abs(runs.first_run) === trips

/**
 * The runs of `a` then `b` (`aTrips`, `bTrips` round trips each): longest runs are the longest of
 * either or of `a`'s last run joined to `b`'s first when both are wins or both losses; the first
 * run grows into `b` when all of `a` is one run, the last run back into `a` likewise.
 */
export const mergeRuns = (a: Runs, aTrips: number, b: Runs, bTrips: number): Runs => {
  if (aTrips === 0) return b
  if (bTrips === 0) return a
  const joins = a.last_run !== 0 && signOf(a.last_run) === signOf(b.first_run)
  const joined = joins ? a.last_run + b.first_run : 0
  return {
    first_run: joins && isOneRun(a, aTrips) ? joined : a.first_run,
    last_run: joins && isOneRun(b, bTrips) ? joined : b.last_run,
    longest_win: Math.max(a.longest_win, b.longest_win, joined > 0 ? joined : 0),
    longest_loss: Math.max(a.longest_loss, b.longest_loss, joined < 0 ? -joined : 0)
  }
}

/**
 * `row` continued with `closes`, in the order given (a store passes closes that
 * {@link follows} the row, sorted by {@link compareCloses}): the steps of summing them from
 * scratch, continued from the stored totals and compensations, so the sums are the same to the
 * last bit.
 */
export const advance = (row: CloseRollupRecord, closes: Iterable<Close>): CloseRollupRecord => {
  const realized: Sum.Sum = { total: row.realized_pnl, compensation: row.realized_pnl_c }
  const trip: Sum.Sum = { total: row.round_trip_pnl, compensation: row.round_trip_pnl_c }
  const profit: Sum.Sum = { total: row.gross_profit, compensation: row.gross_profit_c }
  const loss: Sum.Sum = { total: row.gross_loss, compensation: row.gross_loss_c }
  let { best, first_run, last_close_id, last_closed_at, last_run, longest_loss, longest_win, losses, round_trips, wins, worst } = row
  for (const close of closes) {
    Sum.add(realized, close.realized_pnl)
    last_closed_at = close.closed_at
    last_close_id = close.close_id
    const pnl = close.round_trip_pnl
    if (pnl === null || !Number.isFinite(pnl)) continue
    Sum.add(trip, pnl)
    const sign = signOf(pnl)
    if (sign > 0) {
      wins++
      Sum.add(profit, pnl)
    } else if (sign < 0) {
      losses++
      Sum.add(loss, -pnl)
    }
    best = best === null || pnl > best ? pnl : best
    worst = worst === null || pnl < worst ? pnl : worst
    // mergeRuns with a run of one, inline (the commit path's inner loop).
    if (round_trips === 0) first_run = last_run = sign
    else if (sign !== 0 && last_run !== 0 && signOf(last_run) === sign) {
      if (first_run === last_run && Math.abs(first_run) === round_trips) first_run += sign
      last_run += sign
    } else last_run = sign
    if (last_run > longest_win) longest_win = last_run
    if (-last_run > longest_loss) longest_loss = -last_run
    round_trips++
  }
  return {
    span: row.span,
    start: row.start,
    symbol: row.symbol,
    realized_pnl: realized.total,
    realized_pnl_c: realized.compensation,
    round_trip_pnl: trip.total,
    round_trip_pnl_c: trip.compensation,
    gross_profit: profit.total,
    gross_profit_c: profit.compensation,
    gross_loss: loss.total,
    gross_loss_c: loss.compensation,
    round_trips,
    wins,
    losses,
    best,
    worst,
    first_run,
    last_run,
    longest_win,
    longest_loss,
    last_closed_at,
    last_close_id
  }
}

/** The key of a row, for maps. */
export const keyOf = (row: { readonly span: number; readonly start: number; readonly symbol: string }): string =>
  `${row.span}:${row.start}:${row.symbol}`

/** The order of rows: span, start, symbol. */
export const compareRows = (a: CloseRollupRecord, b: CloseRollupRecord): number =>
  a.span - b.span || a.start - b.start || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)

/**
 * The reference computation: the rows of `closes` (any order; folded by {@link compareCloses}),
 * sorted by span, start, symbol. A store's rows must equal these.
 */
export const fromCloses = (closes: Iterable<Close>): Array<CloseRollupRecord> => {
  const rows = new Map<string, CloseRollupRecord>()
  for (const close of [...closes].sort(compareCloses)) {
    for (const key of keysOf(close)) {
      const k = keyOf(key)
      rows.set(k, advance(rows.get(k) ?? empty(key.span, key.start, key.symbol), [close]))
    }
  }
  return [...rows.values()].sort(compareRows)
}

/** The key of a row: its span, start and symbol. */
export interface RowKey {
  readonly span: Span
  readonly start: number
  readonly symbol: string
}

/** Closes grouped by the rows they fall in ({@link byRow}), by {@link keyOf}. */
export type ByRow = ReadonlyMap<string, { readonly key: RowKey; readonly closes: ReadonlyArray<Close> }>

/** The closes of each row they fall in, each list sorted by {@link compareCloses}: a commit groups its closes once. */
export const byRow = (closes: ReadonlyArray<Close>): ByRow => {
  const out = new Map<string, { key: RowKey; closes: Array<Close> }>()
  const put = (span: Span, start: number, symbol: string, close: Close) => {
    const k = `${span}:${start}:${symbol}`
    const entry = out.get(k)
    if (entry === undefined) out.set(k, { key: { span, start, symbol }, closes: [close] })
    else entry.closes.push(close)
  }
  for (const close of closes) {
    const quarter = startOf(QUARTER, close.closed_at)
    const day = startOf(DAY, close.closed_at)
    put(QUARTER, quarter, ALL, close)
    put(QUARTER, quarter, close.symbol, close)
    put(DAY, day, ALL, close)
    put(DAY, day, close.symbol, close)
  }
  // Closes mostly come in order: sort only the lists that are not.
  for (const entry of out.values()) {
    const list = entry.closes
    for (let i = 1; i < list.length; i++) {
      if (compareCloses(list[i - 1]!, list[i]!) > 0) {
        list.sort(compareCloses)
        break
      }
    }
  }
  return out
}

/**
 * The keys of the rows that `closes` cannot simply continue (one of them comes before the last
 * close the stored row holds): {@link update} sums those again from all their closes.
 */
export const lateKeys = (stored: ReadonlyMap<string, CloseRollupRecord>, closes: ByRow): Array<RowKey> =>
  [...closes].flatMap(([k, entry]) => {
    const row = stored.get(k)
    return row === undefined || follows(row, entry.closes[0]!) ? [] : [entry.key]
  })

/** The state of a row before its closes of one millisecond (`at`): where a later fold may start again. */
export interface Checkpoint {
  readonly at: number
  readonly before: CloseRollupRecord
}

/** Checkpoints a kept row holds at most ({@link KeptRow}). */
export const CHECKPOINTS = 32

/** Least time between two checkpoints of a row (ms): 32 of them look back 3.2 s or more. */
export const CHECKPOINT_MS = 100

/**
 * A row as a store keeps it between commits, with `checkpoints`: its state before its closes of
 * a millisecond, at most one every {@link CHECKPOINT_MS} and the last {@link CHECKPOINTS} of
 * them, oldest first. A close that comes before the row's last one — a commit of the same
 * millisecond whose ids sort first, a parked close released with its own earlier time — is then
 * folded with the closes from the latest checkpoint at or before it, not with every close of the
 * row's span.
 */
export interface KeptRow {
  readonly row: CloseRollupRecord
  readonly checkpoints: ReadonlyArray<Checkpoint>
}

/** `start` (with its `checkpoints`) continued with `sorted`, recording checkpoints as it goes. */
const foldKeeping = (start: CloseRollupRecord, checkpoints: ReadonlyArray<Checkpoint>, sorted: ReadonlyArray<Close>): KeptRow => {
  if (sorted.length === 0) return { row: start, checkpoints }
  const kept = checkpoints.slice()
  let row = start
  let from = 0
  while (from < sorted.length) {
    const at = sorted[from]!.closed_at
    let to = from + 1
    while (to < sorted.length && sorted[to]!.closed_at === at) to++
    // Only before a millisecond the row holds no close of yet: the state before all of its closes.
    const lastAt = kept.length > 0 ? kept[kept.length - 1]!.at : Number.NEGATIVE_INFINITY
    if ((row.last_close_id === "" || row.last_closed_at < at) && at - lastAt >= CHECKPOINT_MS) kept.push({ at, before: row })
    row = advance(row, sorted.slice(from, to))
    from = to
  }
  return { row, checkpoints: kept.length > CHECKPOINTS ? kept.slice(kept.length - CHECKPOINTS) : kept }
}

/**
 * The rows `closes` ({@link byRow}) change, given the rows kept for their keys (`stored`, by
 * {@link keyOf}, with their checkpoints): a row the closes {@link follows} is continued; one they
 * come before is folded again from its latest checkpoint at or before the earliest of them, with
 * the key's closes from that checkpoint's time (`closesFrom(key, at)`: the new ones included,
 * up to the end of the row's span), or from the span's start without one. Each result carries
 * its checkpoints. This is a store's commit step.
 */
export const updateKeeping = (
  stored: ReadonlyMap<string, KeptRow>,
  closes: ByRow,
  closesFrom: (key: RowKey, from: number) => ReadonlyArray<Close>
): Array<KeptRow> => {
  const out: Array<KeptRow> = []
  for (const [k, { closes: news, key }] of closes) {
    const kept = stored.get(k)
    const row = kept?.row ?? empty(key.span, key.start, key.symbol)
    const first = news[0]!
    if (follows(row, first)) {
      out.push(foldKeeping(row, kept?.checkpoints ?? [], news))
      continue
    }
    const checkpoints = kept?.checkpoints ?? []
    let i = checkpoints.length - 1
    while (i >= 0 && checkpoints[i]!.at > first.closed_at) i--
    const mine = (c: Close) => key.symbol === ALL || c.symbol === key.symbol
    const from = i >= 0 ? checkpoints[i]! : undefined
    const again = [...closesFrom(key, from?.at ?? key.start)].filter(mine).sort(compareCloses)
    out.push(foldKeeping(from?.before ?? empty(key.span, key.start, key.symbol), checkpoints.slice(0, Math.max(0, i)), again))
  }
  return out
}

/**
 * The rows `closes` ({@link byRow}) change, given the rows stored for their keys (`stored`, by {@link keyOf})
 * and, for the {@link lateKeys}, every close of that key's span (`closesOf`, the new ones
 * included: the row is then summed again from scratch). This is a store's commit step when it
 * keeps no checkpoints ({@link updateKeeping}).
 */
export const update = (
  stored: ReadonlyMap<string, CloseRollupRecord>,
  closes: ByRow,
  closesOf: (key: RowKey) => ReadonlyArray<Close>
): Array<CloseRollupRecord> => {
  const kept = new Map<string, KeptRow>()
  for (const [k, row] of stored) kept.set(k, { row, checkpoints: [] })
  return updateKeeping(kept, closes, (key) => closesOf(key)).map((r) => r.row)
}
