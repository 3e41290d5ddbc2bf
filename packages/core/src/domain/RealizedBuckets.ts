/**
 * Closes summed per 15-minute UTC bucket (`RealizedBucket`): the form in which a store hands
 * the realized PnL back at start. This module is the reference computation; a SQL store does
 * the same with `GROUP BY closed_at / 900000`.
 *
 * @since 0.1.0
 */
import { REALIZED_BUCKET_MS, type ClosedTradeRecord, type RealizedBucket } from "../schema/Records.js"
import * as Sum from "./Sum.js"

/** The start of the bucket of an instant. */
export const bucketStart = (at: number): number => Math.floor(at / REALIZED_BUCKET_MS) * REALIZED_BUCKET_MS

/** Sums closes into buckets, oldest first. */
export const fromCloses = (closes: Iterable<ClosedTradeRecord>): Array<RealizedBucket> => {
  const buckets = new Map<number, { realized: Sum.Sum; fees: Sum.Sum; profit: Sum.Sum; loss: Sum.Sum; trades: number; wins: number; losses: number; breakevens: number; best: number | null; worst: number | null }>()
  for (const c of closes) {
    const start = bucketStart(c.closed_at)
    let b = buckets.get(start)
    if (b === undefined) {
      b = { realized: Sum.make(), fees: Sum.make(), profit: Sum.make(), loss: Sum.make(), trades: 0, wins: 0, losses: 0, breakevens: 0, best: null, worst: null }
      buckets.set(start, b)
    }
    Sum.add(b.realized, c.realized_pnl)
    Sum.add(b.fees, c.fees)
    const trip = c.round_trip_pnl
    if (trip !== null) {
      b.trades++
      if (trip > 0) {
        b.wins++
        Sum.add(b.profit, trip)
      } else if (trip < 0) {
        b.losses++
        Sum.add(b.loss, -trip)
      } else {
        b.breakevens++
      }
      b.best = b.best === null || trip > b.best ? trip : b.best
      b.worst = b.worst === null || trip < b.worst ? trip : b.worst
    }
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([start, b]) => ({
      start,
      realized_pnl: Sum.value(b.realized),
      fees: Sum.value(b.fees),
      gross_profit: Sum.value(b.profit),
      gross_loss: Sum.value(b.loss),
      round_trips: b.trades,
      wins: b.wins,
      losses: b.losses,
      breakevens: b.breakevens,
      best: b.best,
      worst: b.worst
    }))
}
