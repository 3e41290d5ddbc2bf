/**
 * The example replay (`examples/replay.ts` over `examples/session.jsonl`), with its final figures
 * checked by hand. Initial cash 10 000, UTC windows, an equity sample after every event.
 *
 * Trades (fees as charged):
 *   Sat 8 Mar  T1 BTC LONG 0.2 @ 80 000 (fee 3.20)       T2 ETH SHORT 3 @ 2 000 (fee 1.20)
 *              T1 partial: 0.1 @ 82 000, fee 1.64  → (82 000 − 80 000) × 0.1 − 1.64 = +198.36
 *   Sun 9 Mar  T3 SOL LONG 50 @ 130 (fee 1.30)
 *              flip: T1 rest 0.1 @ 79 000, fee 1.58 → (79 000 − 80 000) × 0.1 − 1.58 = −101.58
 *                    T4 BTC SHORT 0.15 @ 79 000 (fee 2.37); one fill SELL 0.25 @ 79 000, fee 3.95
 *   Mon 10 Mar T2 closed @ 2 100, fee 1.26          → (2 000 − 2 100) × 3 − 1.26 = −301.26
 *              T3 closed @ 142, realized_pnl 600 (the exchange's, before the fee 1.42) → 598.58
 *              last tick BTC 80 000
 *
 * Realized: −3.20 − 1.20 + 198.36 − 1.30 − 101.58 − 2.37 − 301.26 + 598.58 = 386.03
 *   (in fills mode the flip's fee 3.95 is split pro rata: 0.1 of 0.25 closes, 1.58; 0.15 opens,
 *   2.37 — the same figures as the trade events; opening fees are charged on the fills).
 * Today (Monday) = week (from Monday) = −301.26 + 598.58 = 297.32; March = 386.03.
 * Open: BTC SHORT 0.15 @ 79 000 marked 80 000 → (79 000 − 80 000) × 0.15 = −150; exposure 12 000.
 * Cash 10 386.03; equity 10 386.03 − 150 = 10 236.03.
 * Round trips (the statistics count them, each with its opening fee; T4 is still open):
 *   T1 −3.20 + 198.36 − 101.58 = 93.58; T2 −1.20 − 301.26 = −302.46; T3 −1.30 + 598.58 = 597.28
 *   → 3 round trips, 2 wins, 1 loss, win rate 2 / 3; best 597.28, worst −302.46.
 * Gross profit 93.58 + 597.28 = 690.86; gross loss 302.46; profit factor 690.86 / 302.46 = 2.28414…
 * Fees 3.20 + 1.20 + 1.64 + 1.30 + 1.58 + 2.37 + 1.26 + 1.42 = 13.97 (fills: 3.95 for the flip).
 * Equity curve: highest 10 543.96 on Sat 18:00:00.25 (after the partial close, BTC marked at
 *   82 000: cash 10 193.96 + BTC 200 + ETH 150); lowest after it 9 938.71 on Sun 20:00
 *   (cash 10 088.71 after the flip, BTC short 0, ETH −150, SOL 0); Monday's peak 10 536.03 (after
 *   T3's close: cash 10 386.03 + BTC short at 78 000 +150).
 * Daily drawdown  (10 536.03 − 10 236.03) / 10 536.03 × 100 = 2.84737…%
 * Weekly drawdown (10 543.96 − 10 236.03) / 10 543.96 × 100 = 2.92044…%
 * Max drawdown    (10 543.96 − 9 938.71) / 10 543.96 × 100 = 5.74025…%
 * Recovery (10 236.03 − 9 938.71) / (10 543.96 − 9 938.71) × 100 = 297.32 / 605.25 × 100 = 49.12…%
 * Days since peak: Sat 18:00:00.250 → Mon 16:00:00 = 46 h − 0.25 s: 1 whole day.
 */
import { describe, expect, it } from "@effect/vitest"
import { readSession, replay } from "../examples/replay.js"

const envelopes = readSession()
const runs = [
  ["positions from trades", replay(envelopes)],
  ["positions from fills", replay(envelopes, { positionSource: "fills" })]
] as const

describe("example replay", () => {
  it("reads the whole session: 26 envelopes over three days, none rejected", () => {
    expect(envelopes).toHaveLength(26)
    for (const [, r] of runs) expect(r.backtest.rejected).toBe(0)
    // Trades mode applies everything; fills mode ignores the 8 trade events.
    expect(runs[0][1].backtest.portfolio.counters).toMatchObject({ applied: 26, ignored: 0 })
    expect(runs[1][1].backtest.portfolio.counters).toMatchObject({ applied: 18, ignored: 8 })
    expect(runs[0][1].snapshot.timestamp).toBe("2025-03-10T16:00:00.000Z")
  })

  it.each(runs)("%s: ends with the hand-checked snapshot and exposure", (_, r) => {
    const s = r.snapshot
    expect(s.num_positions).toBe(1)
    expect(s.positions[0]).toMatchObject({ symbol: "BTCUSDT", side: "SHORT", size: 0.15, entry_price: 79_000, current_price: 80_000, unrealized_pnl: -150, exposure: 12_000 })
    expect(s.cash_balance).toBeCloseTo(10_386.03, 9)
    expect(s.unrealized_pnl).toBe(-150)
    expect(s.total_equity).toBeCloseTo(10_236.03, 9)
    expect(s.realized_pnl_today).toBeCloseTo(297.32, 9)
    expect(s.daily_pnl).toBeCloseTo(147.32, 9)
    expect(r.exposure).toMatchObject({ long_exposure: 0, short_exposure: 12_000, net_exposure: -12_000, total_exposure: 12_000, exposure_by_sector: { BTC: 12_000 } })
    expect(r.exposure.exposure_pct_of_equity).toBeCloseTo((12_000 / 10_236.03) * 100, 9)
  })

  it.each(runs)("%s: ends with the hand-checked PnL", (_, r) => {
    const p = r.pnl
    expect(p.realized_pnl_today).toBeCloseTo(297.32, 9)
    expect(p.realized_pnl_week).toBeCloseTo(297.32, 9)
    expect(p.realized_pnl_month).toBeCloseTo(386.03, 9)
    expect(p.realized_pnl_total).toBeCloseTo(386.03, 9)
    expect([p.num_closed_trades, p.num_winning_trades, p.num_losing_trades, p.num_breakeven_trades, p.win_rate]).toEqual([3, 2, 1, 0, 2 / 3])
    expect(p.gross_profit).toBeCloseTo(690.86, 9)
    expect(p.gross_loss).toBeCloseTo(302.46, 9)
    expect(p.profit_factor).toBeCloseTo(690.86 / 302.46, 9)
    expect(p.fees_total).toBeCloseTo(13.97, 9)
    expect(p.best_trade_pnl).toBeCloseTo(597.28, 9)
    expect(p.worst_trade_pnl).toBeCloseTo(-302.46, 9)
  })

  it.each(runs)("%s: ends with the hand-checked drawdown", (_, r) => {
    const d = r.drawdown
    expect(d.peak_equity).toBeCloseTo(10_543.96, 9)
    expect(d.trough_equity).toBeCloseTo(9_938.71, 9)
    expect(d.peak_equity_today).toBeCloseTo(10_536.03, 9)
    expect(d.current_equity).toBeCloseTo(10_236.03, 9)
    expect(d.daily_drawdown_pct).toBeCloseTo((300 / 10_536.03) * 100, 9)
    expect(d.weekly_drawdown_pct).toBeCloseTo((307.93 / 10_543.96) * 100, 9)
    expect(d.max_drawdown_pct).toBeCloseTo((605.25 / 10_543.96) * 100, 9)
    expect(d.recovery_progress_pct).toBeCloseTo((297.32 / 605.25) * 100, 9)
    expect(d.days_since_peak).toBe(1)
    expect(d.peak_at).toBe("2025-03-08T18:00:00.250Z")
  })

  it("agrees between the two ways of building positions, figure by figure", () => {
    const [[, trades], [, fills]] = runs
    for (const key of ["pnl", "drawdown", "exposure"] as const) {
      const a = trades[key] as unknown as Record<string, unknown>
      const b = fills[key] as unknown as Record<string, unknown>
      expect(Object.keys(b)).toEqual(Object.keys(a))
      for (const [field, value] of Object.entries(a)) {
        if (typeof value === "number") expect(b[field], `${key}.${field}`).toBeCloseTo(value, 9)
        else expect(b[field], `${key}.${field}`).toEqual(value)
      }
    }
    // The flip is one position closed and another opened, whether told as trades or as a fill.
    expect(trades.backtest.portfolio.trades.get("T4")).toMatchObject({ side: "SHORT", size: 0.15, entry_price: 79_000 })
    expect(fills.backtest.portfolio.positions.get("BTCUSDT:SHORT")).toMatchObject({ size: 0.15, entry_price: 79_000 })
  })
})
