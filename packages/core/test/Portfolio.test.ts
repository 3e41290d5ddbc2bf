import { describe, expect, it } from "@effect/vitest"
import * as Portfolio from "../src/domain/Portfolio.js"
import * as PnlStats from "../src/domain/PnlStats.js"
import * as Sum from "../src/domain/Sum.js"
import * as Valuation from "../src/domain/Valuation.js"
import type { IncomingEvent } from "../src/schema/EventsIn.js"
import type { ClosedTradeRecord } from "../src/schema/Records.js"
import { closed, essTripped, fill, ms, opened, tick } from "./arbitraries.js"

const T = ms("2025-03-07T10:00:00")
const MIN = 60_000

/** Everything a reader of the portfolio sees at a fixed moment and cash. */
const view = (p: Portfolio.Portfolio, now = T + 1_000 * MIN) => {
  const v = Valuation.value(p, 10_000, now)
  return { snapshot: Valuation.snapshot(p, v), pnl: Valuation.pnl(p, v), exposure: Valuation.exposure(v), net: Valuation.netPositions(v) }
}

const applied = (d: Portfolio.Decision) => {
  if (d._tag !== "Applied") throw new Error(`expected Applied, got ${d._tag}`)
  return d
}

const applyAll = (p: Portfolio.Portfolio, events: ReadonlyArray<IncomingEvent>) => events.map((e) => Portfolio.apply(p, e))

describe("Portfolio (trades mode)", () => {
  it("opens a trade: one open record, a lifecycle decision, the position in the snapshot", () => {
    const p = Portfolio.make()
    const d = applied(
      Portfolio.apply(p, opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity: 0.5, leverage: 10 }))
    )
    expect(d.key).toBe("trade.opened:t1")
    expect(d.lifecycle).toBe(true)
    expect(d.changes.upsertOpenTrades).toEqual([
      {
        trade_id: "t1",
        symbol: "BTCUSDT",
        side: "LONG",
        entry_price: 40_000,
        size: 0.5,
        original_size: 0.5,
        leverage: 10,
        category: "EXPANSION", // an unlisted symbol: the original's default
        opened_at: T,
        realized_pnl: 0,
        fees: 0,
        updated_at: T
      }
    ])
    const [position] = view(p).snapshot.positions
    expect(position).toMatchObject({ trade_id: "t1", size: 0.5, opened_at: "2025-03-07T10:00:00.000Z", price_stale: true })
  })

  it("decide changes nothing; evolve applies the decision", () => {
    const p = Portfolio.make()
    const before = view(p)
    const d = Portfolio.decide(p, opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }))
    expect(view(p)).toEqual(before)
    expect(p.trades.size).toBe(0)
    Portfolio.evolve(p, d)
    expect(p.trades.size).toBe(1)
  })

  it("closes part of a trade: the rest stays open with the close's PnL on it", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, opened(T, { trade_id: "t1", symbol: "ETHUSDT", side: "SHORT", entry_price: 3_000, quantity: 2 }))
    const d = applied(Portfolio.apply(p, closed(T + MIN, { trade_id: "t1", exit_price: 2_900, quantity: 0.5 })))
    // SHORT: (3 000 − 2 900) × 0.5 = 50 realized; 1.5 remain.
    const close = d.changes.closes[0]!
    expect(close).toMatchObject({ quantity: 0.5, realized_pnl: 50, remaining_size: 1.5, orphan: false, over_close: false })
    expect(p.trades.get("t1")).toMatchObject({ size: 1.5, original_size: 2, realized_pnl: 50, entry_price: 3_000 })
    expect(PnlStats.total(p.pnl)).toBe(50)
  })

  it("flags a close of more than remains, closing only what remains", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }))
    const d = applied(Portfolio.apply(p, closed(T + MIN, { trade_id: "t1", exit_price: 110, quantity: 3 })))
    // Only 1 was open: (110 − 100) × 1 = 10.
    expect(d.overClose).toBe(true)
    expect(d.changes.closes[0]).toMatchObject({ quantity: 1, realized_pnl: 10, remaining_size: 0, over_close: true })
    expect(d.changes.deleteOpenTrades).toEqual(["t1"])
    expect(p.trades.size).toBe(0)
    expect(p.counters.overCloses).toBe(1)
  })

  it("parks a close of a trade that is not open yet, and applies it right after the trade's open", () => {
    const p = Portfolio.make()
    const close = closed(T + MIN, { trade_id: "late", exit_price: 110, quantity: 1 })
    const parked = Portfolio.apply(p, close, T + MIN)
    expect(parked._tag).toBe("Parked")
    if (parked._tag !== "Parked") return
    expect(parked.changes.parkCloses).toEqual([
      { event_key: parked.key, trade_id: "late", event: JSON.stringify(close), parked_at: T + MIN }
    ])
    expect(Portfolio.parkedCount(p)).toBe(1)
    expect(PnlStats.total(p.pnl)).toBe(0)
    // The same close again is a duplicate, not a second parked close.
    expect(Portfolio.apply(p, close, T + MIN)._tag).toBe("Duplicate")
    // Its open releases it: open first, then the close, as if they had come in that order.
    const steps = Portfolio.step(p, opened(T, { trade_id: "late", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }), T + 2 * MIN)
    expect(steps.map((d) => d._tag)).toEqual(["Applied", "Applied"])
    const released = applied(steps[1]!)
    expect(released.key).toBeUndefined()
    expect(released.changes.releaseParked).toEqual([parked.key])
    expect(released.changes.closes[0]).toMatchObject({ close_id: parked.key, trade_id: "late", quantity: 1, realized_pnl: 10, orphan: false })
    expect(released.changes.deleteOpenTrades).toEqual(["late"])
    expect(Portfolio.parkedCount(p)).toBe(0)
    expect(p.trades.size).toBe(0)
    expect(PnlStats.total(p.pnl)).toBe(10) // (110 − 100) × 1
    expect(p.counters.orphanCloses).toBe(0)
  })

  it("counts every change in version: applied events and parked closes, not duplicates or ignored ticks", () => {
    const p = Portfolio.make()
    const o = opened(T, { trade_id: "v", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 })
    Portfolio.apply(p, o)
    expect(p.version).toBe(1)
    Portfolio.apply(p, o) // duplicate
    Portfolio.apply(p, tick(T + MIN, "BTCUSDT", 101))
    Portfolio.apply(p, tick(T, "BTCUSDT", 99)) // older than the last price: ignored
    expect(p.version).toBe(2)
    Portfolio.apply(p, closed(T + MIN, { trade_id: "later", exit_price: 1 }))
    expect(p.version).toBe(3)
  })

  it("a close by position (no trade_id: the executor's contract) closes every open trade of that symbol and side, pnl_usd split by size", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, opened(T, { trade_id: "a", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }))
    Portfolio.apply(p, opened(T, { trade_id: "b", symbol: "BTCUSDT", side: "LONG", entry_price: 110, quantity: 3 }))
    Portfolio.apply(p, opened(T, { trade_id: "c", symbol: "BTCUSDT", side: "SHORT", entry_price: 105, quantity: 2 }))
    const d = applied(Portfolio.apply(p, closed(T + MIN, { symbol: "BTCUSDT", side: "LONG", exit_price: 120, pnl_usd: 40, fees: 4, order_id: "x1" })))
    // pnl_usd 40 before fees 4, split 1 : 3 → (10 − 1) and (30 − 3).
    expect(d.changes.closes.map((c) => [c.trade_id, c.quantity, c.realized_pnl, c.fees, c.round_trip_pnl])).toEqual([
      ["a", 1, 9, 1, 9],
      ["b", 3, 27, 3, 27]
    ])
    expect(d.changes.deleteOpenTrades).toEqual(["a", "b"])
    expect([...p.trades.keys()]).toEqual(["c"])
    expect(PnlStats.total(p.pnl)).toBe(36)
    expect([p.pnl.closes, p.pnl.wins]).toEqual([2, 2])
    // The same event again is a duplicate (keyed by symbol, side and order id).
    expect(Portfolio.apply(p, closed(T + MIN, { symbol: "BTCUSDT", side: "LONG", exit_price: 120, pnl_usd: 40, fees: 4, order_id: "x1" }))._tag).toBe("Duplicate")
    // Without pnl_usd each trade's PnL is computed from the exit price: SHORT 2 from 105 to 100 = 10.
    const s2 = applied(Portfolio.apply(p, closed(T + 2 * MIN, { symbol: "BTCUSDT", side: "SHORT", exit_price: 100 })))
    expect(s2.changes.closes[0]).toMatchObject({ trade_id: "c", realized_pnl: 10 })
    // Nothing open on that side: kept as an orphan close (its PnL counts), not parked.
    const none = applied(Portfolio.apply(p, closed(T + 3 * MIN, { symbol: "ETHUSDT", side: "SHORT", exit_price: 10, pnl_usd: -5 })))
    expect(none.orphan).toBe(true)
    expect(none.changes.closes[0]).toMatchObject({ trade_id: "ETHUSDT:SHORT", realized_pnl: -5, round_trip_pnl: -5 })
  })

  it("never puts the time of arrival in a key; an idempotency key, when given, is the key", () => {
    const close = (extra: Partial<IncomingEvent>) => ({ ...closed(T, { trade_id: "t", exit_price: 5 }), ...extra }) as IncomingEvent
    expect(Portfolio.eventKey(close({ timed: true }))).toBe(`trade.closed:t:${T}:all:5`)
    // `at` fell back to the arrival time: the same request at another time has the same key.
    expect(Portfolio.eventKey(close({ timed: false, at: T + 1_000 }))).toBe("trade.closed:t:all:5")
    expect(Portfolio.eventKey(close({ timed: false, at: T + 9_000 }))).toBe("trade.closed:t:all:5")
    expect(Portfolio.eventKey(close({ idempotencyKey: "req-1" }))).toBe("trade.closed:key:req-1")
    expect(Portfolio.eventKey(essTripped(T, "manual"))).toBe(`ess.tripped:${T}:manual`)
    expect(Portfolio.eventKey({ ...essTripped(T, "manual"), timed: false })).toBe("ess.tripped:manual")
  })

  it("converts a fee in another asset at its mark, and keeps it apart, out of cash, when no mark is known", () => {
    const p = Portfolio.make({ positionSource: "fills" })
    const bnbFill = (id: string, at: number) => fill(at, { order_id: id, symbol: "BTCUSDT", side: "BUY", quantity: 1, price: 100, fee: 0.01, fee_asset: "BNB" })
    // No BNBUSDT mark yet: the fee is not counted as if it were USDT.
    Portfolio.apply(p, bnbFill("f1", T))
    expect(PnlStats.total(p.pnl)).toBe(0)
    expect(Object.fromEntries(p.unconvertedFees)).toEqual({ BNB: 0.01 })
    // With a mark of 600 it is 0.01 × 600 = 6 USDT.
    Portfolio.apply(p, tick(T + MIN, "BNBUSDT", 600))
    Portfolio.apply(p, bnbFill("f2", T + 2 * MIN))
    expect(PnlStats.total(p.pnl)).toBe(-6)
    expect(Sum.value(p.pnl.fees)).toBe(6)
    expect(Portfolio.feeInQuote(p, "BTCUSDT", 2, "USDT")).toBe(2)
    expect(Portfolio.feeInQuote(p, "BTCUSDT", 2, undefined)).toBe(2)
  })

  it("a full close of a trade that is closed already is a duplicate, not a parked close", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, opened(T, { trade_id: "t", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }))
    applied(Portfolio.apply(p, closed(T + MIN, { trade_id: "t", exit_price: 105 })))
    expect(Portfolio.apply(p, closed(T + 2 * MIN, { trade_id: "t", exit_price: 90 }))._tag).toBe("Duplicate")
    expect(Portfolio.parkedCount(p)).toBe(0)
    expect(PnlStats.total(p.pnl)).toBe(5)
  })

  it("keeps the PnL of a parked close whose trade never opens within the grace, and counts it as an orphan", () => {
    const p = Portfolio.make({ orphanGraceMs: 5 * MIN })
    Portfolio.apply(p, closed(T, { trade_id: "ghost", exit_price: 105, realized_pnl: 42.5, symbol: "SOLUSDT" }), T)
    // Without realized_pnl it is computed when the event says enough: SHORT 2 from 110 to 105 = 10.
    Portfolio.apply(p, closed(T + MIN, { trade_id: "ghost2", exit_price: 105, quantity: 2, side: "SHORT", entry_price: 110 }), T + MIN)
    expect(Portfolio.nextParkedDue(p)).toBe(T + 5 * MIN)
    expect(Portfolio.expireParked(p, T + 5 * MIN - 1)).toEqual([])
    const first = Portfolio.expireParked(p, T + 5 * MIN).map(applied)
    expect(first).toHaveLength(1)
    expect(first[0]!.orphan).toBe(true)
    expect(first[0]!.changes.closes[0]).toMatchObject({ trade_id: "ghost", symbol: "SOLUSDT", realized_pnl: 42.5, orphan: true })
    expect(first[0]!.changes.releaseParked).toEqual([first[0]!.changes.closes[0]!.close_id])
    expect(p.counters.orphanCloses).toBe(1)
    expect(PnlStats.total(p.pnl)).toBe(42.5)
    expect(Portfolio.expireParked(p, T + 6 * MIN).map(applied)).toHaveLength(1)
    expect(PnlStats.total(p.pnl)).toBe(52.5)
    expect(p.counters.orphanCloses).toBe(2)
    expect(Portfolio.nextParkedDue(p)).toBeUndefined()
  })

  it("counts an orphan close without a quantity as a closed trade, not as a fee", () => {
    const p = Portfolio.make({ orphanGraceMs: 0 })
    Portfolio.apply(p, closed(T, { trade_id: "ghost", exit_price: 105, realized_pnl: 42.5 }))
    const d = applied(Portfolio.expireParked(p, T)[0]!)
    // The event says no quantity, so the record's is 0 — yet it is a trade close (a win of 42.5).
    expect(d.changes.closes[0]!.quantity).toBe(0)
    expect(Portfolio.isTradeClose(d.changes.closes[0]!)).toBe(true)
    expect(view(p).pnl).toMatchObject({ num_closed_trades: 1, num_winning_trades: 1, win_rate: 1, best_trade_pnl: 42.5 })
    // An opening fee is a realization of quantity 0 that is not a trade close.
    const o = applied(Portfolio.apply(p, opened(T, { trade_id: "t", symbol: "BTCUSDT", side: "LONG", entry_price: 1, quantity: 1, fees: 0.1 })))
    expect(Portfolio.isTradeClose(o.changes.closes[0]!)).toBe(false)
    expect(view(p).pnl.num_closed_trades).toBe(1)
  })

  it("takes realized_pnl as authoritative, and computes it from exit_price otherwise", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, opened(T, { trade_id: "a", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }))
    Portfolio.apply(p, opened(T, { trade_id: "b", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }))
    // Computed: (110 − 100) × 1 = 10. The exchange's figure for "b" (9.37, after funding) wins.
    const a = applied(Portfolio.apply(p, closed(T + MIN, { trade_id: "a", exit_price: 110 })))
    const b = applied(Portfolio.apply(p, closed(T + MIN, { trade_id: "b", exit_price: 110, realized_pnl: 9.37 })))
    expect(a.changes.closes[0]!.realized_pnl).toBe(10)
    expect(b.changes.closes[0]!.realized_pnl).toBe(9.37)
    expect(PnlStats.total(p.pnl)).toBeCloseTo(19.37, 12)
  })

  it("reduces realized PnL by fees, on closes and on opens", () => {
    const p = Portfolio.make()
    // Opening fee 1.5 is realized at once (quantity 0: not a trade for the win rate).
    const o = applied(
      Portfolio.apply(p, opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 2, fees: 1.5 }))
    )
    expect(o.changes.closes).toEqual([expect.objectContaining({ quantity: 0, realized_pnl: -1.5, fees: 1.5 })])
    // Close 2 at 110 with fee 2: (110 − 100) × 2 − 2 = 18.
    const c = applied(Portfolio.apply(p, closed(T + MIN, { trade_id: "t1", exit_price: 110, fees: 2 })))
    expect(c.changes.closes[0]!.realized_pnl).toBe(18)
    const pnl = view(p).pnl
    expect(pnl.realized_pnl_total).toBe(16.5) // −1.5 + 18
    expect(pnl.fees_total).toBe(3.5)
    expect(pnl.num_closed_trades).toBe(1)
    expect(pnl.num_winning_trades).toBe(1)
  })

  it("applies every lifecycle event at most once", () => {
    const events: Array<IncomingEvent> = [
      opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 2 }),
      closed(T + 1 * MIN, { trade_id: "t1", exit_price: 110, quantity: 0.5, close_id: "c1" }),
      closed(T + 2 * MIN, { trade_id: "t1", exit_price: 112, quantity: 0.5 }),
      fill(T + 3 * MIN, { order_id: "o1", symbol: "BTCUSDT", side: "SELL", quantity: 0.5, price: 111 }),
      essTripped(T + 4 * MIN, "daily loss limit"),
      closed(T + 5 * MIN, { trade_id: "ghost", exit_price: 1, realized_pnl: -3 })
    ]
    for (const e of events) {
      const once = Portfolio.make()
      applyAll(once, events.slice(0, events.indexOf(e) + 1))
      const twice = Portfolio.clone(once)
      const again = Portfolio.apply(twice, e)
      expect(again._tag, e.type).toBe("Duplicate")
      expect(view(twice)).toEqual(view(once))
      expect(twice.counters.duplicates).toBe(once.counters.duplicates + 1)
    }
  })

  it("ignores a tick older than the symbol's last price", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, tick(T + MIN, "BTCUSDT", 101))
    const stale = Portfolio.apply(p, tick(T, "BTCUSDT", 99))
    expect(stale._tag).toBe("Ignored")
    expect(p.marks.get("BTCUSDT")).toEqual({ price: 101, at: T + MIN })
    expect(p.counters.ignored).toBe(1)
    // Another symbol's tick at the older time is not stale.
    expect(Portfolio.apply(p, tick(T, "ETHUSDT", 3_000))._tag).toBe("Applied")
  })

  it("takes the price of order.executed without changing any position (the trades describe it)", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }))
    const d = applied(Portfolio.apply(p, fill(T + MIN, { order_id: "o1", symbol: "BTCUSDT", side: "BUY", quantity: 1, price: 104 })))
    expect(d.lifecycle).toBe(true)
    expect(d.changes.fills).toHaveLength(1)
    expect(d.changes.upsertNetPositions).toEqual([])
    expect(p.positions.size).toBe(0)
    expect(p.trades.get("t1")!.size).toBe(1)
    expect(view(p).snapshot.unrealized_pnl).toBe(4) // (104 − 100) × 1
  })

  it("records an emergency stop", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, essTripped(T, "max drawdown"))
    expect(p.ess).toEqual({ at: T, reason: "max drawdown" })
  })

  it("names processed events by their keys", () => {
    expect(Portfolio.eventKey(tick(T, "BTCUSDT", 1))).toBeUndefined()
    expect(Portfolio.eventKey(opened(T, { trade_id: "t", symbol: "X", side: "LONG", entry_price: 1, quantity: 1 }))).toBe("trade.opened:t")
    expect(Portfolio.eventKey(closed(T, { trade_id: "t", exit_price: 2, close_id: "c" }))).toBe("trade.closed:t:c")
    expect(Portfolio.eventKey(closed(T, { trade_id: "t", exit_price: 2, quantity: 0.5 }))).toBe(`trade.closed:t:${T}:0.5:2`)
    expect(Portfolio.eventKey(fill(T, { order_id: "o", symbol: "X", side: "BUY", quantity: 1, price: 1, fill_id: "2" }))).toBe("order.executed:o:2")
    expect(Portfolio.eventKey(essTripped(T, "r"))).toBe(`ess.tripped:${T}:r`)
  })

  it("forgets the oldest processed keys past rememberKeys", () => {
    const p = Portfolio.make({ rememberKeys: 2 })
    for (const id of ["a", "b", "c"]) Portfolio.apply(p, essTripped(T, id))
    expect(p.seen.keys.size).toBe(2)
    expect(Portfolio.apply(p, essTripped(T, "c"))._tag).toBe("Duplicate")
    expect(Portfolio.apply(p, essTripped(T, "a"))._tag).toBe("Applied")
  })

  it("maps symbols to sectors and categories, with overrides", () => {
    const p = Portfolio.make({ sectors: { SOLUSDT: "L1" }, categories: { DOGEUSDT: "TOXIC" }, defaultCategory: "EXPANSION" })
    expect(["BTCUSDT", "ETHBTC", "SOLUSDT", "XRPUSDT"].map((s) => Portfolio.sectorOf(p, s))).toEqual(["BTC", "ETH", "L1", "ALT"])
    expect(Portfolio.categoryOf(p, "DOGEUSDT")).toBe("TOXIC")
    expect(Portfolio.categoryOf(p, "BTCUSDT")).toBe("EXPANSION")
  })

  it("restores from the open records and every close to the same state", () => {
    const p = Portfolio.make({ timeZone: "Europe/Oslo" })
    const closes: Array<ClosedTradeRecord> = []
    const events: Array<IncomingEvent> = [
      opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity: 0.3, fees: 0.7 }),
      opened(T + MIN, { trade_id: "t2", symbol: "ETHUSDT", side: "SHORT", entry_price: 3_000, quantity: 2, leverage: 5 }),
      tick(T + 2 * MIN, "BTCUSDT", 40_500),
      closed(T + 3 * MIN, { trade_id: "t1", exit_price: 40_400, quantity: 0.1 }),
      closed(T + 24 * 60 * MIN, { trade_id: "t2", exit_price: 2_950, quantity: 2, fees: 1.2 }),
      closed(T + 25 * 60 * MIN, { trade_id: "x", exit_price: 1, realized_pnl: -7 }),
      tick(T + 26 * 60 * MIN, "ETHUSDT", 2_990)
    ]
    for (const d of applyAll(p, events)) if (d._tag === "Applied") closes.push(...d.changes.closes)
    const restored = Portfolio.restore(p.options, {
      ...Portfolio.openRecords(p),
      closes,
      marks: [...p.marks].map(([symbol, m]) => ({ symbol, ...m })),
      lastEventAt: p.lastEventAt
    })
    expect(view(restored)).toEqual(view(p))
    expect(restored.lastEventAt).toBe(p.lastEventAt)
  })

  it("clones independently", () => {
    const p = Portfolio.make()
    Portfolio.apply(p, opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1 }))
    const copy = Portfolio.clone(p)
    Portfolio.apply(copy, closed(T + MIN, { trade_id: "t1", exit_price: 120 }))
    expect(p.trades.size).toBe(1)
    expect(PnlStats.total(p.pnl)).toBe(0)
    expect(PnlStats.total(copy.pnl)).toBe(20)
  })
})

describe("Portfolio (fills mode)", () => {
  const buy = (at: number, id: string, quantity: number, price: number, extra: { position_side?: "LONG" | "SHORT"; fee?: number } = {}) =>
    fill(at, { order_id: id, symbol: "BTCUSDT", side: "BUY", quantity, price, ...extra })
  const sell = (at: number, id: string, quantity: number, price: number, extra: { position_side?: "LONG" | "SHORT"; fee?: number } = {}) =>
    fill(at, { order_id: id, symbol: "BTCUSDT", side: "SELL", quantity, price, ...extra })

  it("one-way: adds with an average entry, then flips past zero", () => {
    const p = Portfolio.make({ positionSource: "fills" })
    Portfolio.apply(p, buy(T, "o1", 1, 100))
    Portfolio.apply(p, buy(T + MIN, "o2", 1, 110))
    // (1 × 100 + 1 × 110) / 2 = 105.
    expect(p.positions.get("BTCUSDT:LONG")).toMatchObject({ size: 2, entry_price: 105 })
    const d = applied(Portfolio.apply(p, sell(T + 2 * MIN, "o3", 3, 120, { fee: 0.6 })))
    // The fee splits pro rata: 2 of 3 closes (0.4), 1 of 3 opens (0.2).
    // Close 2: (120 − 105) × 2 − 0.4 = 29.6, ending the LONG round trip; the remaining 1 opens
    // SHORT at 120, charged its 0.2 as an opening fee.
    expect(d.changes.closes[0]).toMatchObject({ side: "LONG", quantity: 2, remaining_size: 0 })
    expect(d.changes.closes[0]!.realized_pnl).toBeCloseTo(29.6, 12)
    expect(d.changes.closes[0]!.fees).toBeCloseTo(0.4, 12)
    expect(d.changes.closes[0]!.round_trip_pnl).toBeCloseTo(29.6, 12)
    expect(d.changes.closes[1]).toMatchObject({ side: "SHORT", quantity: 0, round_trip_pnl: null })
    expect(d.changes.closes[1]!.fees).toBeCloseTo(0.2, 12)
    expect(d.changes.deleteNetPositions).toEqual([{ symbol: "BTCUSDT", side: "LONG" }])
    expect(p.positions.has("BTCUSDT:LONG")).toBe(false)
    expect(p.positions.get("BTCUSDT:SHORT")).toMatchObject({ size: 1, entry_price: 120, opened_at: T + 2 * MIN })
    expect(p.positions.get("BTCUSDT:SHORT")!.fees).toBeCloseTo(0.2, 12)
    expect(PnlStats.total(p.pnl)).toBeCloseTo(29.4, 12) // (120 − 105) × 2 − 0.6
    expect([p.pnl.closes, p.pnl.wins]).toEqual([1, 1])
    // The snapshot shows one position, with a synthetic trade id.
    expect(view(p).snapshot.positions.map((x) => [x.trade_id, x.side, x.size])).toEqual([["BTCUSDT:SHORT", "SHORT", 1]])
  })

  it("one-way: a partial close keeps the entry and the position's realized PnL", () => {
    const p = Portfolio.make({ positionSource: "fills" })
    Portfolio.apply(p, sell(T, "o1", 2, 3_000))
    Portfolio.apply(p, buy(T + MIN, "o2", 0.5, 2_900))
    // SHORT (3 000 − 2 900) × 0.5 = 50.
    expect(p.positions.get("BTCUSDT:SHORT")).toMatchObject({ size: 1.5, entry_price: 3_000, realized_pnl: 50 })
  })

  it("hedge: LONG and SHORT are independent; excess past zero is flagged and ignored", () => {
    const p = Portfolio.make({ positionSource: "fills", positionMode: "hedge" })
    Portfolio.apply(p, buy(T, "o1", 1, 100, { position_side: "LONG" }))
    Portfolio.apply(p, sell(T, "o2", 2, 100, { position_side: "SHORT" }))
    expect(p.positions.get("BTCUSDT:LONG")).toMatchObject({ size: 1 })
    expect(p.positions.get("BTCUSDT:SHORT")).toMatchObject({ size: 2 })
    // Sell 1.5 on the LONG side: close 1 → (110 − 100) × 1 = 10; 0.5 excess, no flip.
    const d = applied(Portfolio.apply(p, sell(T + MIN, "o3", 1.5, 110, { position_side: "LONG" })))
    expect(d.overClose).toBe(true)
    expect(d.changes.closes[0]).toMatchObject({ quantity: 1, realized_pnl: 10, over_close: true })
    expect(p.positions.has("BTCUSDT:LONG")).toBe(false)
    expect(p.positions.get("BTCUSDT:SHORT")).toMatchObject({ size: 2, entry_price: 100 })
    // A fill without position_side cannot be placed in hedge mode: rejected, naming the field.
    const before = Portfolio.clone(p)
    const rejected = Portfolio.apply(p, buy(T + 2 * MIN, "o4", 1, 100))
    expect(rejected).toMatchObject({ _tag: "Rejected", path: "payload.position_side" })
    expect(p.positions).toEqual(before.positions)
    expect(p.counters).toEqual(before.counters)
  })

  it("hedge: a flip needs two fills, one closing each side", () => {
    const p = Portfolio.make({ positionSource: "fills", positionMode: "hedge" })
    Portfolio.apply(p, buy(T, "o1", 1, 100, { position_side: "LONG" }))
    Portfolio.apply(p, sell(T + MIN, "o2", 1, 90, { position_side: "LONG" }))
    Portfolio.apply(p, sell(T + MIN, "o3", 2, 90, { position_side: "SHORT" }))
    expect([...p.positions.keys()]).toEqual(["BTCUSDT:SHORT"])
    expect(PnlStats.total(p.pnl)).toBe(-10) // (90 − 100) × 1
  })

  it("charges the fee of an opening fill as a realization of quantity 0", () => {
    const p = Portfolio.make({ positionSource: "fills" })
    const d = applied(Portfolio.apply(p, buy(T, "o1", 1, 100, { fee: 0.25 })))
    expect(d.changes.closes).toEqual([expect.objectContaining({ quantity: 0, realized_pnl: -0.25, fees: 0.25 })])
    expect(view(p).pnl).toMatchObject({ realized_pnl_total: -0.25, fees_total: 0.25, num_closed_trades: 0 })
  })

  it("ignores trade events: positions come from fills", () => {
    const p = Portfolio.make({ positionSource: "fills" })
    expect(Portfolio.apply(p, opened(T, { trade_id: "t1", symbol: "BTCUSDT", side: "LONG", entry_price: 1, quantity: 1 }))._tag).toBe("Ignored")
    expect(Portfolio.apply(p, closed(T, { trade_id: "t1", exit_price: 1, realized_pnl: 5 }))._tag).toBe("Ignored")
    expect(p.trades.size).toBe(0)
    expect(PnlStats.total(p.pnl)).toBe(0)
  })

  it("tells fills of one order apart by fill_id and applies each once", () => {
    const p = Portfolio.make({ positionSource: "fills" })
    const first = fill(T, { order_id: "o1", fill_id: "1", symbol: "BTCUSDT", side: "BUY", quantity: 0.4, price: 100 })
    const second = fill(T, { order_id: "o1", fill_id: "2", symbol: "BTCUSDT", side: "BUY", quantity: 0.6, price: 101 })
    applyAll(p, [first, second, first, second])
    // (0.4 × 100 + 0.6 × 101) / 1 = 100.6.
    expect(p.positions.get("BTCUSDT:LONG")).toMatchObject({ size: 1, entry_price: 100.6 })
    expect(p.counters.duplicates).toBe(2)
  })

  it("restores from the net positions and every close to the same state", () => {
    const p = Portfolio.make({ positionSource: "fills" })
    const closes: Array<ClosedTradeRecord> = []
    const events = [buy(T, "o1", 1, 100, { fee: 0.1 }), sell(T + MIN, "o2", 0.4, 105), sell(T + 2 * MIN, "o3", 2, 95), tick(T + 3 * MIN, "BTCUSDT", 97)]
    for (const d of applyAll(p, events)) if (d._tag === "Applied") closes.push(...d.changes.closes)
    const restored = Portfolio.restore(p.options, {
      ...Portfolio.openRecords(p),
      closes,
      marks: [...p.marks].map(([symbol, m]) => ({ symbol, ...m }))
    })
    expect(view(restored)).toEqual(view(p))
  })
})
