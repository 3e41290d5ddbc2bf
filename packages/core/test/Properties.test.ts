/**
 * Properties of the accounting core over random event sequences (see `arbitraries.ts`): the
 * identities of DESIGN.md §3, incremental state against from-scratch recomputation, idempotency,
 * commutativity of independent events, and no NaN/Infinity anywhere.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Backtest from "../src/domain/Backtest.js"
import * as Calendar from "../src/domain/Calendar.js"
import * as Portfolio from "../src/domain/Portfolio.js"
import * as PnlStats from "../src/domain/PnlStats.js"
import * as RealizedBuckets from "../src/domain/RealizedBuckets.js"
import * as Position from "../src/domain/Position.js"
import * as Sum from "../src/domain/Sum.js"
import * as Valuation from "../src/domain/Valuation.js"
import { encodeOutgoing } from "../src/schema/Envelope.js"
import type { IncomingEvent } from "../src/schema/EventsIn.js"
import type { ClosedTradeRecord } from "../src/schema/Records.js"
import { closed, fill, fillEvents, independentPair, interleave, opened, quantity, START, tick, tradeEvents } from "./arbitraries.js"

const RUNS = { numRuns: 150 }
const TOLERANCE = 1e-9

/** |a − b| within 1e-9 of the larger magnitude (floored at `scale`, the size of the terms). */
const close = (a: number, b: number, scale = 1) => Math.abs(a - b) <= TOLERANCE * Math.max(Math.abs(a), Math.abs(b), scale)
const expectClose = (a: number, b: number, what: string, scale = 1) => {
  if (!close(a, b, scale)) expect.fail(`${what}: ${a} ≠ ${b} (beyond ${TOLERANCE} relative)`)
}

/** Deep equality with numbers compared within the tolerance. */
const expectAlike = (a: unknown, b: unknown, path = "$"): void => {
  if (typeof a === "number" && typeof b === "number") return expectClose(a, b, path, 1e3)
  if (Array.isArray(a) && Array.isArray(b)) {
    expect(a.length, path).toBe(b.length)
    a.forEach((x, i) => expectAlike(x, b[i], `${path}[${i}]`))
    return
  }
  if (typeof a === "object" && a !== null && typeof b === "object" && b !== null) {
    expect(Object.keys(a).sort(), path).toEqual(Object.keys(b).sort())
    for (const k of Object.keys(a)) expectAlike((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`)
    return
  }
  expect(a, path).toEqual(b)
}

/** Every number in a value must be finite (walks objects and arrays). */
const expectFinite = (value: unknown, path = "$"): void => {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) expect.fail(`${path} is ${value}`)
  } else if (Array.isArray(value)) value.forEach((v, i) => expectFinite(v, `${path}[${i}]`))
  else if (typeof value === "object" && value !== null) for (const [k, v] of Object.entries(value)) expectFinite(v, `${path}.${k}`)
}

const CASH = 10_000

/** Everything a reader sees at `now` with fixed cash. */
const view = (p: Portfolio.Portfolio, now: number) => {
  const v = Valuation.value(p, CASH, now)
  return { snapshot: Valuation.snapshot(p, v), pnl: Valuation.pnl(p, v), exposure: Valuation.exposure(v), net: Valuation.netPositions(v) }
}

/** Applies events, collecting the close records as a store would. */
const replay = (options: Portfolio.Options, events: ReadonlyArray<IncomingEvent>) => {
  const p = Portfolio.make(options)
  const closes: Array<ClosedTradeRecord> = []
  for (const e of events) {
    const d = Portfolio.apply(p, e)
    if (d._tag === "Applied") closes.push(...d.changes.closes)
  }
  return { p, closes }
}

const modes: ReadonlyArray<readonly [string, Portfolio.Options, fc.Arbitrary<Array<IncomingEvent>>]> = [
  ["trades", {}, tradeEvents()],
  ["fills one-way", { positionSource: "fills" }, fillEvents()],
  ["fills hedge", { positionSource: "fills", positionMode: "hedge" }, fillEvents()]
]

describe.each(modes)("properties (%s)", (_, options, events) => {
  it("keeps the identities: net, total, by symbol, by sector, equity, cash — after every event", () => {
    fc.assert(
      fc.property(events, (evs) => {
        const bt = Backtest.make({ ...options, initialCash: CASH, timeZone: "America/New_York", sampleIntervalMs: 0 })
        const closes: Array<number> = []
        for (const e of evs) {
          const d = Backtest.feed(bt, e)
          if (d._tag === "Applied") closes.push(...d.changes.closes.map((c) => c.realized_pnl))
          const v = Backtest.valuation(bt)
          const x = Valuation.exposure(v)
          const scale = Math.max(1, ...v.positions.map((p) => p.exposure))
          expect(x.net_exposure).toBe(x.long_exposure - x.short_exposure)
          expectClose(x.total_exposure, x.long_exposure + x.short_exposure, "total = long + short", scale)
          expectClose(Sum.of(Object.values(x.exposure_by_symbol)), x.total_exposure, "Σ by symbol", scale)
          expectClose(Sum.of(Object.values(x.exposure_by_sector)), x.total_exposure, "Σ by sector", scale)
          expectClose(Sum.of(v.positions.filter((p) => p.side === "LONG").map((p) => p.exposure)), x.long_exposure, "long", scale)
          // Each position is marked by the rules, at its symbol's last price (entry when none).
          for (const p of v.positions) {
            const mark = bt.portfolio.marks.get(p.symbol)?.price ?? p.entry_price
            expect(p.current_price).toBe(mark)
            expect(p.unrealized_pnl).toBe(Position.unrealizedPnl(p.side, p.entry_price, p.size, mark))
            expect(p.exposure).toBe(p.size * mark)
            expect(p.size).toBeGreaterThan(0)
          }
          // Equity = cash + Σ unrealized; paper cash = initial + realized total = initial + Σ closes.
          const realized = PnlStats.total(bt.portfolio.pnl)
          expect(realized).toBe(Sum.of(closes))
          expect(v.cash).toBe(CASH + realized)
          expectClose(v.unrealizedPnl, Sum.of(v.positions.map((p) => p.unrealized_pnl)), "Σ unrealized", scale)
          expect(v.equity).toBe(v.cash + v.unrealizedPnl)
          // Gross profit − gross loss = realized total; win rate a fraction.
          const pnl = Valuation.pnl(bt.portfolio, v)
          expectClose(pnl.gross_profit - pnl.gross_loss, realized, "profit − loss", Math.max(1, pnl.gross_profit))
          expect(pnl.win_rate).toBeGreaterThanOrEqual(0)
          expect(pnl.win_rate).toBeLessThanOrEqual(1)
          expect(pnl.num_winning_trades + pnl.num_losing_trades).toBeLessThanOrEqual(pnl.num_closed_trades)
        }
      }),
      RUNS
    )
  })

  it("has no NaN or Infinity in any output, and drawdowns within [0, 100]", () => {
    fc.assert(
      fc.property(events, fc.integer({ min: 0, max: 3_600_000 }), (evs, interval) => {
        const bt = Backtest.make({ ...options, initialCash: CASH, timeZone: "Asia/Kolkata", sampleIntervalMs: interval })
        for (const e of evs) {
          Backtest.feed(bt, e)
          const d = Backtest.drawdown(bt)
          for (const pct of [d.daily_drawdown_pct, d.weekly_drawdown_pct, d.max_drawdown_pct, d.recovery_progress_pct]) {
            expect(pct).toBeGreaterThanOrEqual(0)
            expect(pct).toBeLessThanOrEqual(100)
          }
          expect(d.days_since_peak).toBeGreaterThanOrEqual(0)
        }
        const outputs = {
          snapshot: Backtest.snapshot(bt),
          pnl: Backtest.pnl(bt),
          exposure: Backtest.exposure(bt),
          drawdown: Backtest.drawdown(bt),
          net: Backtest.netPositions(bt)
        }
        expectFinite(outputs)
        const envelope = encodeOutgoing({ type: "portfolio.snapshot_updated", payload: outputs.snapshot }, bt.portfolio.lastEventAt, "test")
        expect(envelope.payload).not.toMatch(/NaN|Infinity|null/)
      }),
      RUNS
    )
  })

  it("restores from the open records and all closes (or their 15-minute buckets) to the same state; windows equal a recomputation", () => {
    fc.assert(
      fc.property(events, (evs) => {
        const { p, closes } = replay({ ...options, timeZone: "America/New_York" }, evs)
        const restored = Portfolio.restore(p.options, {
          ...Portfolio.openRecords(p),
          closes,
          marks: [...p.marks].map(([symbol, m]) => ({ symbol, ...m })),
          lastEventAt: p.lastEventAt
        })
        const now = p.lastEventAt
        expect(view(restored, now)).toEqual(view(p, now))
        // A restart reads the closes summed per 15-minute bucket instead: the same within 1e-9.
        const fromBuckets = Portfolio.restore(p.options, {
          ...Portfolio.openRecords(p),
          realizedBuckets: RealizedBuckets.fromCloses(closes),
          marks: [...p.marks].map(([symbol, m]) => ({ symbol, ...m })),
          lastEventAt: p.lastEventAt
        })
        expectAlike(view(fromBuckets, now), view(p, now))
        // The realized total and each window against a from-scratch sum over the close records.
        const cal = Calendar.make("America/New_York")
        const sumWhere = (keep: (c: ClosedTradeRecord) => boolean) => Sum.of(closes.filter(keep).map((c) => c.realized_pnl))
        const scale = Math.max(1, ...closes.map((c) => Math.abs(c.realized_pnl)))
        expect(PnlStats.total(p.pnl)).toBe(Sum.of(closes.map((c) => c.realized_pnl)))
        expectClose(PnlStats.today(p.pnl, now), sumWhere((c) => Calendar.dayKey(cal, c.closed_at) === Calendar.dayKey(cal, now)), "today", scale)
        expectClose(PnlStats.week(p.pnl, now), sumWhere((c) => Calendar.weekKey(cal, c.closed_at) === Calendar.weekKey(cal, now)), "week", scale)
        expectClose(PnlStats.month(p.pnl, now), sumWhere((c) => Calendar.monthKey(cal, c.closed_at) === Calendar.monthKey(cal, now)), "month", scale)
        // Every day, week and month window together hold the total.
        for (const windows of [p.pnl.byDay, p.pnl.byWeek, p.pnl.byMonth]) {
          expectClose(Sum.of([...windows.values()].map(Sum.value)), PnlStats.total(p.pnl), "Σ windows", scale)
        }
      }),
      RUNS
    )
  })

  it("applies any event twice as once, also when it is delivered again later", () => {
    fc.assert(
      fc.property(events, fc.nat(), (evs, pick) => {
        const once = replay(options, evs).p
        const twice = replay(options, evs.flatMap((e) => [e, e])).p
        const now = once.lastEventAt
        expect(view(twice, now)).toEqual(view(once, now))
        const later = Portfolio.clone(once)
        Portfolio.apply(later, evs[pick % evs.length]!)
        expect(view(later, now)).toEqual(view(once, now))
        expect(later.lastEventAt).toBe(once.lastEventAt)
      }),
      RUNS
    )
  })

  it("lets ticks on different symbols commute", () => {
    fc.assert(
      fc.property(
        events,
        fc.tuple(fc.integer({ min: -3_600_000, max: 3_600_000 }), fc.integer({ min: 1, max: 100_000 })),
        fc.tuple(fc.integer({ min: -3_600_000, max: 3_600_000 }), fc.integer({ min: 1, max: 100_000 })),
        fc.constantFrom(["BTCUSDT", "ETHUSDT"], ["SOLUSDT", "XRPUSDT"], ["ETHUSDT", "SOLUSDT"]),
        (evs, [da, pa], [db, pb], [sa, sb]) => {
          const { p } = replay(options, evs)
          const a = tick(p.lastEventAt + da, sa, pa)
          const b = tick(p.lastEventAt + db, sb, pb)
          const ab = Portfolio.clone(p)
          const ba = Portfolio.clone(p)
          Portfolio.apply(ab, a)
          Portfolio.apply(ab, b)
          Portfolio.apply(ba, b)
          Portfolio.apply(ba, a)
          expect(view(ab, ab.lastEventAt)).toEqual(view(ba, ba.lastEventAt))
          expect(ab.marks).toEqual(ba.marks)
        }
      ),
      RUNS
    )
  })

  it("gives the same state whatever the interleaving of independent events", () => {
    fc.assert(
      fc.property(
        independentPair().chain(([a, b]) => interleave(a, b).map((mixed) => [a, b, mixed] as const)),
        ([a, b, mixed]) => {
          const sequential = replay(options, [...a, ...b]).p
          const interleaved = replay(options, mixed).p
          const now = Math.max(sequential.lastEventAt, interleaved.lastEventAt)
          const sorted = (p: Portfolio.Portfolio) => {
            const v = view(p, now)
            const byId = <T extends { symbol: string }>(xs: ReadonlyArray<T>, key: (x: T) => string) => [...xs].sort((x, y) => key(x).localeCompare(key(y)))
            return {
              ...v,
              snapshot: { ...v.snapshot, positions: byId(v.snapshot.positions, (x) => x.trade_id) },
              net: byId(v.net, (x) => `${x.symbol}|${x.side}`)
            }
          }
          expectAlike(sorted(interleaved), sorted(sequential))
          expect(interleaved.counters).toEqual(sequential.counters)
        }
      ),
      RUNS
    )
  })
})

describe("extremes", () => {
  it("stays finite at the largest magnitudes the schemas accept", () => {
    // Price and quantity up to 1e18: exposure 1e36, uPnL ~1e36 — far from float64's 1.8e308.
    const M = 1e18
    const bt = Backtest.make({ initialCash: 1, sampleIntervalMs: 0 })
    const events = [
      opened(START, { trade_id: "a", symbol: "BTCUSDT", side: "LONG", entry_price: 1e-9, quantity: M, fees: M }),
      opened(START + 1, { trade_id: "b", symbol: "ETHUSDT", side: "SHORT", entry_price: M, quantity: M }),
      tick(START + 2, "BTCUSDT", M),
      tick(START + 3, "ETHUSDT", 1e-9),
      closed(START + 4, { trade_id: "a", exit_price: M, quantity: M / 2, realized_pnl: -M }),
      fill(START + 5, { order_id: "o", symbol: "ETHUSDT", side: "BUY", quantity: M, price: M, fee: M })
    ]
    for (const e of events) {
      Backtest.feed(bt, e)
      expectFinite({ s: Backtest.snapshot(bt), p: Backtest.pnl(bt), x: Backtest.exposure(bt), d: Backtest.drawdown(bt), n: Backtest.netPositions(bt) })
    }
    expect(Backtest.exposure(bt).total_exposure).toBeGreaterThan(1e35)
  })
})

describe("properties of closes", () => {
  const side = fc.constantFrom("LONG" as const, "SHORT" as const)
  const price = fc.integer({ min: 1, max: 10_000_000 }).map((k) => k / 100)
  const parts = fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 1, maxLength: 8 })

  /** Splits `total` into parts proportional to `weights`; the last takes what is left. */
  const split = (total: number, weights: ReadonlyArray<number>) => {
    const sum = weights.reduce((a, b) => a + b, 0)
    const out = weights.map((w) => (total * w) / sum)
    out[out.length - 1] = total - out.slice(0, -1).reduce((a, b) => a + b, 0)
    return out.filter((q) => q > 0)
  }

  it("realizes the same PnL closing a trade in k parts as at once, and conserves it on the trade", () => {
    fc.assert(
      fc.property(side, price, price, quantity, parts, (s, entry, exit, qty, weights) => {
        const T = START
        const open = opened(T, { trade_id: "t", symbol: "BTCUSDT", side: s, entry_price: entry, quantity: qty })
        const whole = replay({}, [open, closed(T + 1, { trade_id: "t", exit_price: exit })]).p
        const p = Portfolio.make()
        Portfolio.apply(p, open)
        let realizedSoFar = 0
        split(qty, weights).forEach((q, i) => {
          const d = Portfolio.apply(p, closed(T + 1 + i, { trade_id: "t", exit_price: exit, quantity: q, close_id: `c${i}` }))
          expect(d._tag).toBe("Applied")
          realizedSoFar += d._tag === "Applied" ? d.changes.closes[0]!.realized_pnl : 0
          const open = p.trades.get("t")
          if (open !== undefined) expectClose(open.realized_pnl, realizedSoFar, "realized on the open trade", Math.abs(entry * qty))
        })
        const scale = Math.abs(entry * qty)
        expect(p.trades.size).toBe(0) // the last part leaves no dust position
        expectClose(PnlStats.total(p.pnl), PnlStats.total(whole.pnl), "k parts vs at once", scale)
        expectClose(PnlStats.total(p.pnl), Position.realizedOnClose(s, entry, exit, qty), "rule", scale)
      }),
      { numRuns: 300 }
    )
  })

  it("realizes the same PnL reducing a fills-mode position in k fills as in one", () => {
    fc.assert(
      fc.property(side, price, price, quantity, parts, (s, entry, exit, qty, weights) => {
        const [openSide, closeSide] = s === "LONG" ? (["BUY", "SELL"] as const) : (["SELL", "BUY"] as const)
        const open = fill(START, { order_id: "o", symbol: "ETHUSDT", side: openSide, quantity: qty, price: entry })
        const whole = replay({ positionSource: "fills" }, [open, fill(START + 1, { order_id: "x", symbol: "ETHUSDT", side: closeSide, quantity: qty, price: exit })]).p
        const partial = replay(
          { positionSource: "fills" },
          [open, ...split(qty, weights).map((q, i) => fill(START + 1 + i, { order_id: `x${i}`, symbol: "ETHUSDT", side: closeSide, quantity: q, price: exit }))]
        ).p
        expect(partial.positions.size).toBe(0)
        expectClose(PnlStats.total(partial.pnl), PnlStats.total(whole.pnl), "k fills vs one", Math.abs(entry * qty))
      }),
      { numRuns: 300 }
    )
  })

  it("leaves exactly the remainder on the other side after a flip (one-way), and nothing in hedge mode", () => {
    fc.assert(
      fc.property(side, price, price, quantity, quantity, (s, entry, exit, size, extra) => {
        const [openSide, closeSide] = s === "LONG" ? (["BUY", "SELL"] as const) : (["SELL", "BUY"] as const)
        const against = size + extra
        const events = [
          fill(START, { order_id: "o1", symbol: "SOLUSDT", side: openSide, quantity: size, price: entry, position_side: s }),
          fill(START + 1, { order_id: "o2", symbol: "SOLUSDT", side: closeSide, quantity: against, price: exit, position_side: s })
        ]
        const oneWay = replay({ positionSource: "fills" }, events).p
        const other = s === "LONG" ? "SHORT" : "LONG"
        expect([...oneWay.positions.keys()]).toEqual([`SOLUSDT|${other}`])
        expect(oneWay.positions.get(`SOLUSDT|${other}`)).toMatchObject({ size: against - size, entry_price: exit, side: other })
        expect(PnlStats.total(oneWay.pnl)).toBe(Position.realizedOnClose(s, entry, exit, size))
        const hedge = replay({ positionSource: "fills", positionMode: "hedge" }, events)
        expect(hedge.p.positions.size).toBe(0)
        expect(hedge.closes.map((c) => [c.quantity, c.over_close])).toEqual([[size, true]])
      }),
      { numRuns: 300 }
    )
  })
})
