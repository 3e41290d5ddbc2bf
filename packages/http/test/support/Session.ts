/**
 * A trading session to feed the service, and the figures it must produce, computed by hand
 * (paper cash 10 000, time zone UTC, positions from trades):
 *
 * 1. open T1 BTCUSDT LONG 0.5 @ 40 000 ×5; open T2 ETHUSDT SELL (SHORT) 4 @ 2 000 ×3;
 *    open T3 SOLUSDT BUY (LONG) 400 @ 100 ×10
 * 2. ticks BTCUSDT 42 000, ETHUSDT 2 100
 * 3. close 0.2 of T1 @ 42 000, no `realized_pnl`: (42 000 − 40 000) × 0.2 = +400; 0.3 remain
 * 4. close T2 @ 1 900 with `realized_pnl` 390 (authoritative; the formula would give 400)
 * 5. close T3 @ 95 with fee 4: (95 − 100) × 400 − 4 = −2 004
 * 6. fill BTCUSDT BUY 0.01 @ 43 000 (trades mode: only the price moves)
 * 7. open T4 BTCUSDT LONG 0.1 @ 44 000 ×2
 * 8. `ess.tripped`
 *
 * Then: realized = 400 + 390 − 2 004 = −1 214; cash = 10 000 − 1 214 = 8 786;
 * T1 uPnL = (43 000 − 40 000) × 0.3 = 900, T4 uPnL = (43 000 − 44 000) × 0.1 = −100,
 * unrealized = 800; equity = 9 586; exposure = 0.4 × 43 000 = 17 200 (all long, BTC);
 * net BTCUSDT LONG: size 0.4, entry (0.3 × 40 000 + 0.1 × 44 000) / 0.4 = 41 000.
 * Trade statistics count round trips when they end: T2 (+390, a win) and T3 (−2 004, a loss);
 * T1's partial close is in the realized sums now, in the statistics when T1 ends. Win rate 1 / 2,
 * profit factor 390 / 2 004, best +390, worst −2 004.
 *
 * Drawdown: the service samples equity at start and with every trade lifecycle snapshot (run
 * with `PORTFOLIO_SNAPSHOT_THROTTLE_MS=0`, one per event, so the samples do not depend on
 * timing). Ticks and fills take no sample. The peak is after step 4: 10 000 + 400 + 390 +
 * T1 (42 000 − 40 000) × 0.3 = 11 390; the trough after step 5: 8 786 + 600 = 9 386.
 * Drawdown now (daily, weekly): (11 390 − 9 586) / 11 390 × 100 = 15.84 %; the deepest:
 * (11 390 − 9 386) / 11 390 × 100 = 17.59 %; recovery (9 586 − 9 386) / (11 390 − 9 386) = 9.98 %.
 *
 * The events carry times of a fixed day in the past ({@link BASE}), so the figures do not depend
 * on the date the tests run: the PnL of today, this week and this month is 0 whatever it is.
 * Only the daily drawdown follows the service's clock (its samples are today's): it is checked
 * against the day the service started, as the service itself reports.
 */
import { expect } from "@effect/vitest"
import { DrawdownMetrics, ExposureBreakdown, NetPosition, PnLBreakdown, PortfolioSnapshot } from "@portfolio/core"
import { Effect, Schema } from "effect"
import * as Http from "./Http.js"

/** One event of the session. */
export interface SessionEvent {
  readonly type: string
  readonly payload: Record<string, unknown>
}

/** Python's `datetime.utcnow().isoformat()`: microseconds, no zone. */
export const pythonTime = (ms: number): string => new Date(ms).toISOString().replace("Z", "000")

/** When the session happened: 2024-03-05 12:00 UTC, a Tuesday. */
export const BASE = Date.UTC(2024, 2, 5, 12, 0, 0)

/** The session's events, timed from `base` (epoch ms) on. */
export const events = (base: number): ReadonlyArray<SessionEvent> => {
  let step = 0
  const at = () => pythonTime(base + 10 * step++)
  return [
    { type: "trade.opened", payload: { trade_id: "T1", symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity: 0.5, leverage: 5, timestamp: at(), stop_loss: 38_000, take_profit: null } },
    { type: "trade.opened", payload: { trade_id: "T2", symbol: "ETHUSDT", side: "SELL", entry_price: 2_000, quantity: 4, leverage: 3, timestamp: at() } },
    { type: "trade.opened", payload: { trade_id: "T3", symbol: "solusdt", side: "BUY", entry_price: "100", quantity: 400, leverage: 10, timestamp: at() } },
    { type: "market.tick", payload: { symbol: "BTCUSDT", price: 42_000, timestamp: at() } },
    { type: "market.tick", payload: { symbol: "ETHUSDT", price: 2_100, timestamp: at() } },
    { type: "trade.closed", payload: { trade_id: "T1", exit_price: 42_000, quantity: 0.2, timestamp: at(), close_id: "T1-c1" } },
    { type: "trade.closed", payload: { trade_id: "T2", exit_price: 1_900, quantity: 4, realized_pnl: 390, timestamp: at(), duration_sec: 60 } },
    { type: "trade.closed", payload: { trade_id: "T3", exit_price: 95, fees: 4, timestamp: at() } },
    { type: "order.executed", payload: { order_id: "O1", symbol: "BTCUSDT", side: "BUY", quantity: 0.01, price: 43_000, timestamp: at() } },
    { type: "trade.opened", payload: { trade_id: "T4", symbol: "BTCUSDT", side: "LONG", entry_price: 44_000, quantity: 0.1, leverage: 2, timestamp: at() } },
    { type: "ess.tripped", payload: { reason: "daily loss limit", severity: "high", timestamp: at() } }
  ]
}

/** The figures the session leaves, computed by hand (see the module comment). */
export const expected = {
  initialCash: 10_000,
  realized: 400 + 390 - 2_004,
  cash: 10_000 + 400 + 390 - 2_004,
  unrealized: 900 - 100,
  equity: 10_000 + 400 + 390 - 2_004 + 900 - 100,
  exposure: 0.4 * 43_000,
  t1: { size: 0.3, entry: 40_000, mark: 43_000, upnl: 900, upnlPct: (900 / (40_000 * 0.3)) * 100, roe: ((900 / (40_000 * 0.3)) * 100) * 5, realized: 400 },
  t4: { size: 0.1, entry: 44_000, mark: 43_000, upnl: -100, upnlPct: (-100 / (44_000 * 0.1)) * 100, roe: ((-100 / (44_000 * 0.1)) * 100) * 2 },
  net: { size: 0.4, entry: (0.3 * 40_000 + 0.1 * 44_000) / 0.4, upnl: 800, exposure: 0.4 * 43_000 },
  closes: 2,
  wins: 1,
  losses: 1,
  grossProfit: 390,
  grossLoss: 2_004,
  fees: 4,
  best: 390,
  worst: -2_004,
  peak: 10_000 + 400 + 390 + 600,
  trough: 10_000 - 1_214 + 600,
  drawdownPct: ((11_390 - 9_586) / 11_390) * 100,
  maxDrawdownPct: ((11_390 - 9_386) / 11_390) * 100,
  recoveryPct: ((9_586 - 9_386) / (11_390 - 9_386)) * 100
} as const

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/** When the service at `url` started, by its own clock (`/health`: timestamp − uptime). */
export const startedAt = (url: string) =>
  Effect.map(Http.get(url, "/health"), (h) => Date.parse(h.body.timestamp) - h.body.uptime_seconds * 1000)

const close = (actual: number, wanted: number) => expect(actual).toBeCloseTo(wanted, 9)

/**
 * Checks every endpoint of the service at `url` against the hand-computed figures of the
 * session (fed from {@link BASE}); answers the snapshot and the PnL it read.
 */
export const expectFigures = (url: string) =>
  Effect.gen(function* () {
    const x = expected
    const started = yield* startedAt(url)

    const snapshot = (yield* Http.get(url, "/api/portfolio/snapshot")).body
    // Today's peak is the start sample, unless the service's day has turned since.
    const sameDay = utcDay(started) === utcDay(Date.parse(snapshot.timestamp))
    close(snapshot.cash_balance, x.cash)
    close(snapshot.unrealized_pnl, x.unrealized)
    close(snapshot.total_equity, x.equity)
    close(snapshot.total_exposure, x.exposure)
    close(snapshot.realized_pnl_total, x.realized)
    close(snapshot.realized_pnl_today, 0)
    close(snapshot.daily_pnl, x.unrealized)
    close(snapshot.exposure_pct_of_equity, (x.exposure / x.equity) * 100)
    close(snapshot.daily_drawdown_pct, sameDay ? x.drawdownPct : 0)
    expect(snapshot.num_positions).toBe(2)
    const byId = Object.fromEntries(snapshot.positions.map((p: { trade_id: string }) => [p.trade_id, p]))
    expect(Object.keys(byId).sort()).toEqual(["T1", "T4"])
    expect(byId.T1).toMatchObject({ symbol: "BTCUSDT", side: "LONG", leverage: 5, sector: "BTC", category: "EXPANSION", price_stale: false })
    close(byId.T1.size, x.t1.size)
    close(byId.T1.entry_price, x.t1.entry)
    close(byId.T1.current_price, x.t1.mark)
    close(byId.T1.unrealized_pnl, x.t1.upnl)
    close(byId.T1.unrealized_pnl_pct, x.t1.upnlPct)
    close(byId.T1.roe_pct, x.t1.roe)
    close(byId.T1.realized_pnl, x.t1.realized)
    close(byId.T1.exposure, x.t1.size * x.t1.mark)
    close(byId.T4.unrealized_pnl, x.t4.upnl)
    close(byId.T4.unrealized_pnl_pct, x.t4.upnlPct)
    close(byId.T4.roe_pct, x.t4.roe)

    const pnl = (yield* Http.get(url, "/api/portfolio/pnl")).body
    close(pnl.realized_pnl_total, x.realized)
    for (const window of ["realized_pnl_today", "realized_pnl_week", "realized_pnl_month"]) close(pnl[window], 0)
    close(pnl.unrealized_pnl, x.unrealized)
    close(pnl.total_pnl, x.unrealized)
    close(pnl.win_rate, x.wins / x.closes)
    close(pnl.profit_factor, x.grossProfit / x.grossLoss)
    close(pnl.gross_profit, x.grossProfit)
    close(Math.abs(pnl.gross_loss), x.grossLoss)
    close(pnl.fees_total, x.fees)
    close(pnl.best_trade_pnl, x.best)
    close(pnl.worst_trade_pnl, x.worst)
    expect([pnl.num_closed_trades, pnl.num_winning_trades, pnl.num_losing_trades]).toEqual([x.closes, x.wins, x.losses])

    const exposure = (yield* Http.get(url, "/api/portfolio/exposure")).body
    close(exposure.total_exposure, x.exposure)
    close(exposure.long_exposure, x.exposure)
    close(exposure.short_exposure, 0)
    close(exposure.net_exposure, x.exposure)
    expect(Object.keys(exposure.exposure_by_symbol)).toEqual(["BTCUSDT"])
    close(exposure.exposure_by_symbol.BTCUSDT, x.exposure)
    expect(Object.keys(exposure.exposure_by_sector)).toEqual(["BTC"])
    close(exposure.exposure_by_sector.BTC, x.exposure)

    const drawdown = (yield* Http.get(url, "/api/portfolio/drawdown")).body
    close(drawdown.peak_equity, x.peak)
    close(drawdown.current_equity, x.equity)
    close(drawdown.trough_equity, x.trough)
    close(drawdown.max_drawdown_pct, x.maxDrawdownPct)
    close(drawdown.weekly_drawdown_pct, x.drawdownPct)
    close(drawdown.recovery_progress_pct, x.recoveryPct)

    const positions = (yield* Http.get(url, "/api/portfolio/positions")).body
    expect(positions).toHaveLength(1)
    expect(positions[0]).toMatchObject({ symbol: "BTCUSDT", side: "LONG", num_trades: 2 })
    close(positions[0].size, x.net.size)
    close(positions[0].entry_price, x.net.entry)
    close(positions[0].unrealized_pnl, x.net.upnl)
    close(positions[0].exposure, x.net.exposure)

    // Every answer is what core's schema says it is.
    Schema.decodeUnknownSync(PortfolioSnapshot)(snapshot)
    Schema.decodeUnknownSync(PnLBreakdown)(pnl)
    Schema.decodeUnknownSync(ExposureBreakdown)(exposure)
    Schema.decodeUnknownSync(DrawdownMetrics)(drawdown)
    Schema.decodeUnknownSync(Schema.Array(NetPosition))(positions)
    return { snapshot, byId, pnl }
  })
