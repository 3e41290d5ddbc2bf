/**
 * The original service's test cases (seed report §8), re-created on the pure core with numbers
 * computed by hand. Events go through the wire path (bus envelopes with Python-style zone-less
 * timestamps) into a `Backtest`, or straight into a `Portfolio` valued with `Valuation`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as Backtest from "../src/domain/Backtest.js"
import * as PnlStats from "../src/domain/PnlStats.js"
import * as Portfolio from "../src/domain/Portfolio.js"
import * as Valuation from "../src/domain/Valuation.js"
import { encodeIncoming } from "../src/schema/Envelope.js"
import type { IncomingEventType } from "../src/schema/EventsIn.js"
import { DrawdownMetrics, ExposureBreakdown, PnLBreakdown, PortfolioSnapshot } from "../src/schema/Responses.js"

/** A bus envelope at a Python-style time on Friday 2025-03-07 (or another day). */
const at = (time: string, day = "2025-03-07") => `${day}T${time}.000000`
const envelope = (type: IncomingEventType, time: string, payload: Record<string, unknown>) =>
  encodeIncoming(type, { ...payload, timestamp: time })

const run = (events: ReadonlyArray<ReturnType<typeof envelope>>, options: Backtest.Options = {}) => {
  const bt = Backtest.make({ initialCash: 10_000, ...options })
  for (const e of events) {
    const d = Backtest.feedEnvelope(bt, e)
    if (d._tag === "InvalidEvent") throw new Error(d.message)
  }
  return bt
}

const btcLong = envelope("trade.opened", at("10:00:00"), { trade_id: "btc-1", symbol: "BTCUSDT", side: "BUY", entry_price: 40_000, quantity: 0.5, leverage: 10 })
const ethShort = envelope("trade.opened", at("10:01:00"), { trade_id: "eth-1", symbol: "ETHUSDT", side: "SELL", entry_price: 3_000, quantity: 2, leverage: 5 })
const solLong = envelope("trade.opened", at("10:02:00"), { trade_id: "sol-1", symbol: "SOLUSDT", side: "LONG", entry_price: 150, quantity: 10 })
const tick = (symbol: string, price: number, time: string) => envelope("market.tick", time, { symbol, price })

describe("seed cases", () => {
  it("1. builds the snapshot of an empty portfolio", () => {
    const p = Portfolio.make()
    const snapshot = Valuation.snapshot(p, Valuation.value(p, 10_000, Date.parse("2025-03-07T10:00:00Z")))
    expect(snapshot).toEqual({
      total_equity: 10_000,
      cash_balance: 10_000,
      total_exposure: 0,
      num_positions: 0,
      positions: [],
      unrealized_pnl: 0,
      realized_pnl_today: 0,
      realized_pnl_total: 0,
      daily_pnl: 0,
      daily_drawdown_pct: 0,
      exposure_pct_of_equity: 0,
      timestamp: "2025-03-07T10:00:00.000Z"
    })
  })

  it("2. marks a LONG position: (current − entry) × size", () => {
    const s = Backtest.snapshot(run([btcLong, tick("BTCUSDT", 42_000, at("10:05:00"))]))
    // (42 000 − 40 000) × 0.5 = 1 000; 1 000 / (40 000 × 0.5) × 100 = 5 %; ROE 5 × 10 = 50 %.
    expect(s.positions[0]).toMatchObject({
      trade_id: "btc-1",
      side: "LONG",
      current_price: 42_000,
      unrealized_pnl: 1_000,
      unrealized_pnl_pct: 5,
      roe_pct: 50,
      exposure: 21_000, // 0.5 × 42 000
      price_stale: false
    })
    // Equity 10 000 + 1 000; exposure 21 000 / 11 000 × 100 = 190.909… %.
    expect(s).toMatchObject({ total_equity: 11_000, unrealized_pnl: 1_000, daily_pnl: 1_000, total_exposure: 21_000 })
    expect(s.exposure_pct_of_equity).toBeCloseTo(2_100_000 / 11_000, 10)
  })

  it("3. marks a SHORT position: (entry − current) × size", () => {
    const s = Backtest.snapshot(run([ethShort, tick("ETHUSDT", 2_900, at("10:05:00"))]))
    // (3 000 − 2 900) × 2 = 200; 200 / 6 000 × 100 = 3.33… %; exposure 2 × 2 900 = 5 800.
    expect(s.positions[0]).toMatchObject({ side: "SHORT", unrealized_pnl: 200, exposure: 5_800 })
    expect(s.positions[0]!.unrealized_pnl_pct).toBeCloseTo(10 / 3, 12)
    expect(s.total_equity).toBe(10_200)
  })

  it("4. sums a mixed LONG/SHORT portfolio", () => {
    const bt = run([
      btcLong,
      ethShort,
      solLong,
      tick("BTCUSDT", 42_000, at("10:05:00")),
      tick("ETHUSDT", 2_900, at("10:05:01")),
      tick("SOLUSDT", 140, at("10:05:02"))
    ])
    // uPnL: +1 000 (BTC) + 200 (ETH) + (140 − 150) × 10 = −100 (SOL) = 1 100.
    const s = Backtest.snapshot(bt)
    expect(s).toMatchObject({ num_positions: 3, unrealized_pnl: 1_100, total_equity: 11_100, total_exposure: 28_200 })
    // Long 21 000 + 1 400 = 22 400; short 5 800; net 16 600; total 28 200.
    expect(Backtest.exposure(bt)).toMatchObject({ long_exposure: 22_400, short_exposure: 5_800, net_exposure: 16_600, total_exposure: 28_200 })
  })

  it("5. aggregates the realized PnL of today's closes only", () => {
    const bt = run([
      envelope("trade.opened", at("09:00:00", "2025-03-06"), { trade_id: "a", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }),
      envelope("trade.closed", at("15:00:00", "2025-03-06"), { trade_id: "a", exit_price: 400 }), // +300 yesterday
      envelope("trade.opened", at("09:00:00"), { trade_id: "b", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 2 }),
      envelope("trade.opened", at("09:00:01"), { trade_id: "c", symbol: "ETHUSDT", side: "SHORT", entry_price: 100, quantity: 3 }),
      envelope("trade.closed", at("11:00:00"), { trade_id: "b", exit_price: 160 }), // (160 − 100) × 2 = +120
      envelope("trade.closed", at("12:00:00"), { trade_id: "c", exit_price: 115 }) // (100 − 115) × 3 = −45
    ])
    const s = Backtest.snapshot(bt)
    // Today 120 − 45 = 75; all time 375; paper cash 10 000 + 375.
    expect(s).toMatchObject({ realized_pnl_today: 75, realized_pnl_total: 375, cash_balance: 10_375, daily_pnl: 75, num_positions: 0 })
  })

  it("6. breaks exposure down by symbol and by sector", () => {
    const bt = run(
      [
        btcLong,
        envelope("trade.opened", at("10:00:30"), { trade_id: "btc-2", symbol: "BTCUSDT", side: "LONG", entry_price: 41_000, quantity: 0.25 }),
        ethShort,
        solLong,
        tick("BTCUSDT", 42_000, at("10:05:00")),
        tick("ETHUSDT", 2_900, at("10:05:01")),
        tick("SOLUSDT", 140, at("10:05:02"))
      ],
      { sectors: { SOLUSDT: "L1" }, categories: { SOLUSDT: "CORE" } }
    )
    const e = Backtest.exposure(bt)
    // BTC (0.5 + 0.25) × 42 000 = 31 500; ETH 2 × 2 900 = 5 800; SOL 10 × 140 = 1 400.
    expect(e.exposure_by_symbol).toEqual({ BTCUSDT: 31_500, ETHUSDT: 5_800, SOLUSDT: 1_400 })
    expect(e.exposure_by_sector).toEqual({ BTC: 31_500, ETH: 5_800, L1: 1_400 })
    // By risk bucket (DESIGN.md §11): SOL listed CORE; the unlisted take the original's EXPANSION.
    expect(e.exposure_by_category).toEqual({ CORE: 1_400, EXPANSION: 37_300, MONITORING: 0, TOXIC: 0 })
    expect(e).toMatchObject({ long_exposure: 32_900, short_exposure: 5_800, net_exposure: 27_100, total_exposure: 38_700 })
    // The net view groups the two BTC trades: size 0.75, entry (0.5 × 40 000 + 0.25 × 41 000) / 0.75.
    expect(Backtest.netPositions(bt)[0]).toMatchObject({ symbol: "BTCUSDT", side: "LONG", size: 0.75, num_trades: 2 })
    expect(Backtest.netPositions(bt)[0]!.entry_price).toBeCloseTo(30_250 / 0.75, 9)
  })

  it("7. computes the daily drawdown (peak − current) / peak × 100, reset each day", () => {
    const open = envelope("trade.opened", at("10:00:00"), { trade_id: "t", symbol: "BTCUSDT", side: "LONG", entry_price: 20_000, quantity: 1 })
    const bt = run([open, tick("BTCUSDT", 21_000, at("10:01:00")), tick("BTCUSDT", 20_450, at("10:02:00"))], { sampleIntervalMs: 0 })
    // Equity 10 000 → 11 000 (peak) → 10 450: (11 000 − 10 450) / 11 000 × 100 = 5 %.
    expect(Backtest.snapshot(bt).daily_drawdown_pct).toBeCloseTo(5, 12)
    Backtest.feedEnvelope(bt, tick("BTCUSDT", 20_450, at("00:00:01", "2025-03-08")))
    expect(Backtest.snapshot(bt).daily_drawdown_pct).toBe(0) // the day's peak starts again at 10 450
    Backtest.feedEnvelope(bt, tick("BTCUSDT", 19_405, at("09:00:00", "2025-03-08")))
    // (10 450 − 9 405) / 10 450 = 10 %; from the all-time peak (11 000 − 9 405) / 11 000 = 14.5 %.
    const d = Backtest.drawdown(bt)
    expect(d.daily_drawdown_pct).toBeCloseTo(10, 12)
    expect(d.weekly_drawdown_pct).toBeCloseTo(14.5, 12)
    expect(d.max_drawdown_pct).toBeCloseTo(14.5, 12)
    expect(d).toMatchObject({ peak_equity: 11_000, current_equity: 9_405, trough_equity: 9_405, peak_equity_today: 10_450, recovery_progress_pct: 0 })
  })

  it("8. puts an opened trade in the snapshot (a lifecycle event: publish it)", () => {
    const bt = Backtest.make({ initialCash: 10_000 })
    const d = Backtest.feedEnvelope(bt, btcLong)
    expect(d).toMatchObject({ _tag: "Applied", lifecycle: true, key: "trade.opened:btc-1" })
    const s = Backtest.snapshot(bt)
    // No price yet: marked at entry, uPnL 0, flagged stale. Python's zone-less time comes back Z-suffixed.
    expect(s.positions).toEqual([
      {
        trade_id: "btc-1",
        symbol: "BTCUSDT",
        side: "LONG",
        size: 0.5,
        entry_price: 40_000,
        current_price: 40_000,
        unrealized_pnl: 0,
        unrealized_pnl_pct: 0,
        roe_pct: 0,
        exposure: 20_000,
        leverage: 10,
        category: "EXPANSION", // an unlisted symbol: the original's default
        sector: "BTC",
        opened_at: "2025-03-07T10:00:00.000Z",
        realized_pnl: 0,
        price_stale: true
      }
    ])
    expect(s).toMatchObject({ num_positions: 1, total_equity: 10_000, timestamp: "2025-03-07T10:00:00.000Z" })
  })

  it("9. books a closed trade: realized PnL, win rate, profit factor, best and worst", () => {
    const open = (id: string, time: string) => envelope("trade.opened", at(time), { trade_id: id, symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 })
    const close = (id: string, exit: number, time: string) => envelope("trade.closed", at(time), { trade_id: id, exit_price: exit })
    const bt = run([open("a", "10:00:00"), open("b", "10:00:01"), open("c", "10:00:02"), close("a", 300, "11:00:00"), close("b", 200, "11:00:01")])
    // Closing "c" at 50 is a lifecycle event that realizes (50 − 100) × 1 = −50.
    const d = Backtest.feedEnvelope(bt, close("c", 50, "11:00:02"))
    expect(d).toMatchObject({ _tag: "Applied", lifecycle: true, changes: { closes: [expect.objectContaining({ trade_id: "c", realized_pnl: -50 })] } })
    // +200, +100, −50: win rate 2 / 3; profit factor 300 / 50 = 6.
    const pnl = Backtest.pnl(bt)
    expect(pnl).toMatchObject({
      realized_pnl_today: 250,
      realized_pnl_week: 250,
      realized_pnl_month: 250,
      realized_pnl_total: 250,
      unrealized_pnl: 0,
      total_pnl: 250,
      profit_factor: 6,
      num_closed_trades: 3,
      num_winning_trades: 2,
      num_losing_trades: 1,
      gross_profit: 300,
      gross_loss: 50,
      best_trade_pnl: 200,
      worst_trade_pnl: -50
    })
    expect(pnl.win_rate).toBeCloseTo(2 / 3, 15)
  })

  it("10. reports the documented sentinel as the profit factor when no trade lost", () => {
    const bt = run([
      btcLong,
      envelope("trade.closed", at("11:00:00"), { trade_id: "btc-1", exit_price: 40_100 }) // (40 100 − 40 000) × 0.5 = +50
    ])
    const pnl = Backtest.pnl(bt)
    expect(pnl).toMatchObject({ profit_factor: PnlStats.PROFIT_FACTOR_NO_LOSSES, win_rate: 1, gross_loss: 0, realized_pnl_total: 50 })
    expect(PnlStats.PROFIT_FACTOR_NO_LOSSES).toBe(1_000_000)
    expect(JSON.stringify(pnl)).not.toMatch(/Infinity|NaN|null/)
  })

  it("11. answers response shapes that validate against their schemas (a superset of the seed's fields)", () => {
    const bt = run([btcLong, ethShort, tick("BTCUSDT", 42_000, at("10:05:00")), envelope("trade.closed", at("10:06:00"), { trade_id: "eth-1", exit_price: 2_950, quantity: 1 })])
    const pnl = Backtest.pnl(bt)
    expect(Either.isRight(Schema.validateEither(PnLBreakdown)(pnl))).toBe(true)
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(PnLBreakdown)(pnl)))
    expect(Object.keys(json)).toEqual(expect.arrayContaining(["realized_pnl_today", "realized_pnl_week", "realized_pnl_month", "unrealized_pnl", "total_pnl", "win_rate", "profit_factor", "timestamp"]))
    expect(Object.keys(json).sort()).toEqual(Object.keys(PnLBreakdown.fields).sort())
    expect(Either.isRight(Schema.validateEither(PortfolioSnapshot)(Backtest.snapshot(bt)))).toBe(true)
    expect(Either.isRight(Schema.validateEither(ExposureBreakdown)(Backtest.exposure(bt)))).toBe(true)
    expect(Either.isRight(Schema.validateEither(DrawdownMetrics)(Backtest.drawdown(bt)))).toBe(true)
    // A shape that is wrong is caught: the schema is not vacuous.
    expect(Either.isLeft(Schema.validateEither(PnLBreakdown)({ ...pnl, win_rate: "high" }))).toBe(true)
  })

  it("12. takes the price of an executed order and publishes a snapshot, without double-counting the fill", () => {
    const bt = run([btcLong])
    const d = Backtest.feedEnvelope(bt, envelope("order.executed", at("10:03:00"), { order_id: "o-1", symbol: "BTCUSDT", side: "BUY", quantity: 0.5, price: 40_400 }))
    expect(d).toMatchObject({ _tag: "Applied", lifecycle: true })
    const s = Backtest.snapshot(bt)
    // Still 0.5 BTC (the trade event already said so); marked at 40 400: (40 400 − 40 000) × 0.5 = 200.
    expect(s).toMatchObject({ num_positions: 1, unrealized_pnl: 200, total_equity: 10_200 })
    expect(s.positions[0]).toMatchObject({ size: 0.5, price_stale: false })
  })

  it("13. closes part of a trade: the rest stays open and the close's PnL is realized", () => {
    const bt = run([ethShort, envelope("trade.closed", at("10:30:00"), { trade_id: "eth-1", exit_price: 2_900, quantity: 0.5, fees: 1 }), tick("ETHUSDT", 2_950, at("10:31:00"))])
    // (3 000 − 2 900) × 0.5 − 1 fee = 49 realized; 1.5 left: (3 000 − 2 950) × 1.5 = 75 unrealized.
    const s = Backtest.snapshot(bt)
    expect(s.positions[0]).toMatchObject({ trade_id: "eth-1", size: 1.5, realized_pnl: 49, unrealized_pnl: 75 })
    expect(s).toMatchObject({ realized_pnl_today: 49, unrealized_pnl: 75, daily_pnl: 124, cash_balance: 10_049, total_equity: 10_124 })
    expect(Backtest.pnl(bt).fees_total).toBe(1)
  })

  it("14. places realized PnL in today, this week (from Monday) and this month", () => {
    const open = (id: string, day: string) => envelope("trade.opened", at("09:00:00", day), { trade_id: id, symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 })
    const close = (id: string, exit: number, day: string) => envelope("trade.closed", at("10:00:00", day), { trade_id: id, exit_price: exit })
    const bt = run([
      open("feb", "2025-02-28"), close("feb", 101, "2025-02-28"), // +1, February
      open("fri", "2025-03-07"), close("fri", 110, "2025-03-07"), // +10, Friday of the week of 3 March
      open("sun", "2025-03-09"), close("sun", 200, "2025-03-09"), // +100, Sunday: same week
      open("mon", "2025-03-10"), close("mon", 1_100, "2025-03-10") // +1 000, Monday: a new week
    ])
    // On Monday 10 March: today 1 000; week 1 000; March 10 + 100 + 1 000 = 1 110; total 1 111.
    expect(Backtest.pnl(bt)).toMatchObject({ realized_pnl_today: 1_000, realized_pnl_week: 1_000, realized_pnl_month: 1_110, realized_pnl_total: 1_111 })
  })

  it("15. records an emergency stop as a lifecycle event, once", () => {
    const bt = run([btcLong])
    const trip = envelope("ess.tripped", at("10:10:00"), { reason: "daily drawdown 5.2%", severity: "critical" })
    expect(Backtest.feedEnvelope(bt, trip)).toMatchObject({ _tag: "Applied", lifecycle: true })
    expect(Backtest.feedEnvelope(bt, trip)).toMatchObject({ _tag: "Duplicate" })
    expect(bt.portfolio.ess).toEqual({ at: Date.parse("2025-03-07T10:10:00Z"), reason: "daily drawdown 5.2%" })
  })

  it("16. counts an invalid envelope as rejected and never applies it", () => {
    const bt = run([btcLong])
    const bad = envelope("trade.opened", at("10:10:00"), { trade_id: "x", symbol: "BTCUSDT", side: "HOLD", entry_price: 1, quantity: 1 })
    expect(Backtest.feedEnvelope(bt, bad)).toMatchObject({ _tag: "InvalidEvent", eventType: "trade.opened" })
    expect(bt.rejected).toBe(1)
    expect(bt.rejections[0]!.issues.map((i) => i.path)).toEqual(["payload.side"])
    expect(Backtest.snapshot(bt).num_positions).toBe(1)
  })
})
