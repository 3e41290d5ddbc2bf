/**
 * The equity extremes after each sample, and their one-row table form.
 *
 * Rules (the memory history's and the domain `Drawdown`'s, held to a from-scratch computation
 * by the contract's property test): the peak is the latest sample at the highest equity; the
 * trough is the first sample at the lowest equity since that peak; `max_drawdown_pct` is the
 * largest `Drawdown.pct(running peak, equity)` seen (clamped to [0, 100], 0 while the running
 * peak is not above zero).
 *
 * @internal
 */
import { Drawdown, type EquityExtremes, type EquitySample } from "@portfolio/core"
import type { EquityExtremesTable } from "../Tables.js"

/** The extremes after one more sample. */
export const advance = (current: EquityExtremes, sample: EquitySample): EquityExtremes => {
  const count = current.count + 1
  const peak = current.peak
  if (peak === null || sample.equity >= peak.equity) {
    return { peak: sample, trough_since_peak: sample, max_drawdown_pct: current.max_drawdown_pct, count }
  }
  const trough = current.trough_since_peak
  return {
    peak,
    trough_since_peak: trough === null || sample.equity < trough.equity ? sample : trough,
    max_drawdown_pct: Math.max(current.max_drawdown_pct, Drawdown.pct(peak.equity, sample.equity)),
    count
  }
}

const sampleOf = (
  at: number | null,
  equity: number | null,
  cash: number | null,
  unrealized_pnl: number | null
): EquitySample | null =>
  at === null || equity === null || cash === null || unrealized_pnl === null ? null : { at, equity, cash, unrealized_pnl }

/** The extremes held in the row. */
export const fromRow = (row: EquityExtremesTable): EquityExtremes => ({
  peak: sampleOf(row.peak_at, row.peak_equity, row.peak_cash, row.peak_unrealized_pnl),
  trough_since_peak: sampleOf(row.trough_at, row.trough_equity, row.trough_cash, row.trough_unrealized_pnl),
  max_drawdown_pct: row.max_drawdown_pct,
  count: row.sample_count
})

/** The row's columns for `extremes` after a sample at `latestAt`. */
export const toRow = (extremes: EquityExtremes, latestAt: number): Omit<EquityExtremesTable, "id"> => ({
  sample_count: extremes.count,
  latest_at: latestAt,
  peak_at: extremes.peak?.at ?? null,
  peak_equity: extremes.peak?.equity ?? null,
  peak_cash: extremes.peak?.cash ?? null,
  peak_unrealized_pnl: extremes.peak?.unrealized_pnl ?? null,
  trough_at: extremes.trough_since_peak?.at ?? null,
  trough_equity: extremes.trough_since_peak?.equity ?? null,
  trough_cash: extremes.trough_since_peak?.cash ?? null,
  trough_unrealized_pnl: extremes.trough_since_peak?.unrealized_pnl ?? null,
  max_drawdown_pct: extremes.max_drawdown_pct
})
