/**
 * The equity extremes after each sample, and their one-row table form.
 *
 * The rule itself is core's `Drawdown.advanceExtremes`, shared with the memory history and held
 * to a from-scratch computation by the contract's property test.
 *
 * @internal
 */
import type { EquityExtremes, EquitySample } from "@portfolio/core"
import type { EquityExtremesTable } from "../Tables.js"

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
export const toRow = (extremes: EquityExtremes, latestAt: number): Omit<EquityExtremesTable, "account_id"> => ({
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
