/**
 * Statistics of round trips (DESIGN.md §11), each a trade from open to fully closed with its
 * PnL (`ClosedTradeRecord.round_trip_pnl`):
 *
 * - win rate `W = wins / n` (PnL > 0 wins, < 0 loses, 0 is a break-even);
 * - average win `= Σ wins / #wins`, average loss `= |Σ losses| / #losses` (0 when none);
 * - expectancy `= W × avg win − L × avg loss` (`L = #losses / n`), and expectancy ratio
 *   `= (1 + avg win / avg loss) × W − 1`: Freqtrade's `calculate_expectancy`;
 * - payoff ratio `R = avg win / avg loss`; Kelly fraction `= W − (1 − W) / R`;
 * - the longest runs of consecutive wins and of consecutive losses (a break-even ends both).
 *
 * Undefined figures (no round trips; no loss for the ratios) are `null`. Sums are compensated.
 *
 * @example
 * TradeAnalytics.statistics([100, 200, 50, -150, 300, -100, 80, -30]).expectancy // 56.25
 *
 * @since 0.3.0
 */
import * as Sum from "./Sum.js"

/** Round-trip statistics; see the module's formulas. */
export interface Statistics {
  readonly trades: number
  readonly wins: number
  readonly losses: number
  readonly breakevens: number
  readonly winRate: number | null
  readonly averageWin: number | null
  readonly averageLoss: number | null
  readonly expectancy: number | null
  readonly expectancyRatio: number | null
  readonly payoffRatio: number | null
  readonly kelly: number | null
  readonly longestWinStreak: number
  readonly longestLossStreak: number
  readonly total: number
}

/** The statistics of round-trip PnLs in the order they closed. */
export const statistics = (pnls: Iterable<number>): Statistics => {
  const won = Sum.make()
  const lost = Sum.make()
  const total = Sum.make()
  let trades = 0
  let wins = 0
  let losses = 0
  let winRun = 0
  let lossRun = 0
  let longestWinStreak = 0
  let longestLossStreak = 0
  for (const pnl of pnls) {
    if (!Number.isFinite(pnl)) continue
    trades++
    Sum.add(total, pnl)
    if (pnl > 0) {
      wins++
      Sum.add(won, pnl)
      winRun++
      lossRun = 0
      if (winRun > longestWinStreak) longestWinStreak = winRun
    } else if (pnl < 0) {
      losses++
      Sum.add(lost, -pnl)
      lossRun++
      winRun = 0
      if (lossRun > longestLossStreak) longestLossStreak = lossRun
    } else {
      winRun = 0
      lossRun = 0
    }
  }
  return fromTotals({ trades, wins, losses, won: Sum.value(won), lost: Sum.value(lost), total: Sum.value(total), longestWinStreak, longestLossStreak })
}

/** What the statistics are computed from: counts, sums and the longest runs of round trips. */
export interface Totals {
  readonly trades: number
  readonly wins: number
  readonly losses: number
  /** Σ of the wins' PnL. */
  readonly won: number
  /** |Σ of the losses' PnL|. */
  readonly lost: number
  /** Σ of every round trip's PnL. */
  readonly total: number
  readonly longestWinStreak: number
  readonly longestLossStreak: number
}

/** The statistics of round trips summed already (`CloseRollup` rows, merged): the module's formulas. */
export const fromTotals = (t: Totals): Statistics => {
  const { losses, trades, wins } = t
  const averageWin = wins > 0 ? t.won / wins : 0
  const averageLoss = losses > 0 ? t.lost / losses : 0
  const winRate = trades > 0 ? wins / trades : null
  const lossRate = trades > 0 ? losses / trades : null
  const payoffRatio = averageLoss > 0 ? averageWin / averageLoss : null
  return {
    trades,
    wins,
    losses,
    breakevens: trades - wins - losses,
    winRate,
    averageWin: wins > 0 ? averageWin : null,
    averageLoss: losses > 0 ? averageLoss : null,
    expectancy: winRate === null || lossRate === null ? null : winRate * averageWin - lossRate * averageLoss,
    expectancyRatio: payoffRatio === null || winRate === null ? null : (1 + payoffRatio) * winRate - 1,
    payoffRatio,
    kelly: kellyFraction(winRate, payoffRatio),
    longestWinStreak: t.longestWinStreak,
    longestLossStreak: t.longestLossStreak,
    total: t.total
  }
}

/**
 * Kelly fraction `W − (1 − W) / R` (W the win rate, R the payoff ratio); `null` when either is
 * undefined or `R` is 0 (no winning trade: the formula's answer would be −∞).
 */
export const kellyFraction = (winRate: number | null, payoffRatio: number | null): number | null =>
  winRate === null || payoffRatio === null || !(payoffRatio > 0) ? null : winRate - (1 - winRate) / payoffRatio
