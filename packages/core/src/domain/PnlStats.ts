/**
 * Realized PnL and trade statistics, maintained incrementally: calendar windows (today, this
 * week, this month in the configured time zone, weeks from Monday), the total, win rate,
 * profit factor, best and worst trade, fees. Each close costs O(1); each query O(1).
 *
 * Rules (DESIGN.md §3):
 * - every realization (a close, partial or whole; a fee charged outside a close) is placed in
 *   the windows and the total by its event time, at once;
 * - the statistics count **round trips**, each once, when it ends (`roundTripPnl` on the
 *   realization that ends it): `win_rate = wins / round trips` (PnL > 0 wins, < 0 loses, = 0 is
 *   a break-even counted apart; 0 when there are none), best and worst;
 * - `profit_factor = gross profit / |gross loss|` over round trips; 0 when there is no profit;
 *   when there are profits and no losses it is {@link PROFIT_FACTOR_NO_LOSSES}, and every value
 *   is capped there, so no `Infinity` reaches the wire.
 *
 * @since 0.1.0
 */
import type { RealizedBucket } from "../schema/Records.js"
import * as Calendar from "./Calendar.js"
import * as Sum from "./Sum.js"

/** The profit factor reported when there are profits and no losses (and the cap of any value). */
export const PROFIT_FACTOR_NO_LOSSES = 1_000_000

/** One realization of PnL: a close of a trade, or a fee charged outside a close. */
export interface Realization {
  /** Event time, epoch ms. */
  readonly at: number
  /** Realized PnL, net of fees. */
  readonly realizedPnl: number
  readonly fees: number
  /** The PnL of the round trip this realization ends, if it ends one (see `roundTripPnl`). */
  readonly roundTripPnl?: number | null | undefined
}

/** The running statistics. Mutable, owned by one writer (see `Portfolio`). */
export interface PnlStats {
  readonly calendar: Calendar.Calendar
  readonly total: Sum.Sum
  readonly grossProfit: Sum.Sum
  readonly grossLoss: Sum.Sum
  readonly fees: Sum.Sum
  readonly byDay: Map<number, Sum.Sum>
  readonly byWeek: Map<number, Sum.Sum>
  readonly byMonth: Map<number, Sum.Sum>
  /** Round trips ended. */
  closes: number
  wins: number
  losses: number
  breakevens: number
  best: number
  worst: number
}

/** Empty statistics for a calendar. */
export const make = (calendar: Calendar.Calendar): PnlStats => ({
  calendar,
  total: Sum.make(),
  grossProfit: Sum.make(),
  grossLoss: Sum.make(),
  fees: Sum.make(),
  byDay: new Map(),
  byWeek: new Map(),
  byMonth: new Map(),
  closes: 0,
  wins: 0,
  losses: 0,
  breakevens: 0,
  best: 0,
  worst: 0
})

const addTo = (map: Map<number, Sum.Sum>, key: number, term: number): void => {
  const sum = map.get(key)
  if (sum === undefined) map.set(key, Sum.make(term))
  else Sum.add(sum, term)
}

/** Records one realization in every window and statistic. */
export const record = (self: PnlStats, r: Realization): void => {
  const pnl = r.realizedPnl
  Sum.add(self.total, pnl)
  if (r.fees !== 0) Sum.add(self.fees, r.fees)
  addTo(self.byDay, Calendar.dayKey(self.calendar, r.at), pnl)
  addTo(self.byWeek, Calendar.weekKey(self.calendar, r.at), pnl)
  addTo(self.byMonth, Calendar.monthKey(self.calendar, r.at), pnl)
  const trip = r.roundTripPnl
  if (trip === undefined || trip === null) return
  if (self.closes === 0) {
    self.best = trip
    self.worst = trip
  } else {
    if (trip > self.best) self.best = trip
    if (trip < self.worst) self.worst = trip
  }
  self.closes++
  if (trip > 0) {
    self.wins++
    Sum.add(self.grossProfit, trip)
  } else if (trip < 0) {
    self.losses++
    Sum.add(self.grossLoss, -trip)
  } else {
    self.breakevens++
  }
}

/**
 * Records the closes of one bucket at once (see `RealizedBucket`): the same windows and
 * statistics as recording each of its closes, for a restart that does not read every close.
 */
export const recordBucket = (self: PnlStats, bucket: RealizedBucket): void => {
  const at = bucket.start
  Sum.add(self.total, bucket.realized_pnl)
  if (bucket.fees !== 0) Sum.add(self.fees, bucket.fees)
  addTo(self.byDay, Calendar.dayKey(self.calendar, at), bucket.realized_pnl)
  addTo(self.byWeek, Calendar.weekKey(self.calendar, at), bucket.realized_pnl)
  addTo(self.byMonth, Calendar.monthKey(self.calendar, at), bucket.realized_pnl)
  if (bucket.gross_profit !== 0) Sum.add(self.grossProfit, bucket.gross_profit)
  if (bucket.gross_loss !== 0) Sum.add(self.grossLoss, bucket.gross_loss)
  if (bucket.round_trips > 0 && bucket.best !== null && bucket.worst !== null) {
    if (self.closes === 0) {
      self.best = bucket.best
      self.worst = bucket.worst
    } else {
      if (bucket.best > self.best) self.best = bucket.best
      if (bucket.worst < self.worst) self.worst = bucket.worst
    }
    self.closes += bucket.round_trips
    self.wins += bucket.wins
    self.losses += bucket.losses
    self.breakevens += bucket.breakevens
  }
}

const windowValue = (map: Map<number, Sum.Sum>, key: number): number => {
  const sum = map.get(key)
  return sum === undefined ? 0 : Sum.value(sum)
}

/** Realized PnL of the local day of `now`. */
export const today = (self: PnlStats, now: number): number => windowValue(self.byDay, Calendar.dayKey(self.calendar, now))
/** Realized PnL of the local week (from Monday) of `now`. */
export const week = (self: PnlStats, now: number): number => windowValue(self.byWeek, Calendar.weekKey(self.calendar, now))
/** Realized PnL of the local month of `now`. */
export const month = (self: PnlStats, now: number): number => windowValue(self.byMonth, Calendar.monthKey(self.calendar, now))
/** Realized PnL of all time. */
export const total = (self: PnlStats): number => Sum.value(self.total)

/** `wins / round trips`, 0 when there are none. */
export const winRate = (self: PnlStats): number => (self.closes === 0 ? 0 : self.wins / self.closes)

/** `gross profit / |gross loss|` with the documented sentinel and cap. */
export const profitFactor = (self: PnlStats): number => {
  const profit = Sum.value(self.grossProfit)
  const loss = Sum.value(self.grossLoss)
  if (profit <= 0) return 0
  if (loss <= 0) return PROFIT_FACTOR_NO_LOSSES
  return Math.min(profit / loss, PROFIT_FACTOR_NO_LOSSES)
}

/** An independent deep copy. */
export const clone = (self: PnlStats): PnlStats => {
  const copyMap = (m: Map<number, Sum.Sum>) => new Map([...m].map(([k, v]) => [k, Sum.clone(v)] as const))
  return {
    calendar: self.calendar,
    total: Sum.clone(self.total),
    grossProfit: Sum.clone(self.grossProfit),
    grossLoss: Sum.clone(self.grossLoss),
    fees: Sum.clone(self.fees),
    byDay: copyMap(self.byDay),
    byWeek: copyMap(self.byWeek),
    byMonth: copyMap(self.byMonth),
    closes: self.closes,
    wins: self.wins,
    losses: self.losses,
    breakevens: self.breakevens,
    best: self.best,
    worst: self.worst
  }
}
