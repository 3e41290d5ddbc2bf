/**
 * Properties of the accounting core over random event sequences (see `arbitraries.ts`): the
 * identities of DESIGN.md §3, incremental state against from-scratch recomputation, idempotency,
 * commutativity of independent events, and no NaN/Infinity anywhere.
 *
 * The expectations are computed here, not with the functions under test: the accounting rules
 * as plain arithmetic, sums exactly (BigInt over a common power of two, {@link exactSum}), and
 * calendar windows from `Intl` local dates.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Backtest from "../src/domain/Backtest.js"
import * as Portfolio from "../src/domain/Portfolio.js"
import * as PnlStats from "../src/domain/PnlStats.js"
import * as RealizedBuckets from "../src/domain/RealizedBuckets.js"
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

// ---------------------------------------------------------------------------------------------
// Oracles, independent of the code under test

/** `x` as n × 2^−k exactly, k ≥ 0 (doubling a float64 is exact until it is an integer). */
const dyadic = (x: number): readonly [bigint, number] => {
  if (!Number.isFinite(x)) throw new Error(`exactSum: ${x} is not a finite number`)
  let y = x
  let k = 0
  while (!Number.isInteger(y)) {
    y *= 2
    k++
  }
  return [BigInt(y), k]
}

/** Σ terms computed exactly (BigInt numerators over a common 2^k), rounded once to float64. */
const exactSum = (terms: ReadonlyArray<number>): number => {
  const parts = terms.map(dyadic)
  const k = parts.reduce((max, [, j]) => Math.max(max, j), 0)
  if (k > 1_000) throw new Error(`exactSum: 2^${k} is not a float64`)
  const n = parts.reduce((acc, [m, j]) => acc + (m << BigInt(k - j)), 0n)
  return Number(n) / 2 ** k
}

/**
 * `actual` is the sum of `terms` up to the rounding a compensated sum (and a few sums of sums)
 * may add: 8 ε × Σ|terms|.
 */
const expectSumOf = (actual: number, terms: ReadonlyArray<number>, what: string) => {
  const exact = exactSum(terms)
  const bound = 8 * Number.EPSILON * exactSum(terms.map(Math.abs))
  if (!(Math.abs(actual - exact) <= bound)) expect.fail(`${what}: ${actual}, exact sum ${exact} (n = ${terms.length}, bound ${bound})`)
}

/** DESIGN.md §3: LONG (mark − entry) × size, SHORT (entry − mark) × size. */
const unrealizedRule = (side: "LONG" | "SHORT", entry: number, size: number, mark: number) =>
  side === "LONG" ? (mark - entry) * size : (entry - mark) * size

/** DESIGN.md §3: LONG (exit − entry) × quantity, SHORT (entry − exit) × quantity. */
const realizedRule = (side: "LONG" | "SHORT", entry: number, exit: number, quantity: number) =>
  side === "LONG" ? (exit - entry) * quantity : (entry - exit) * quantity

/** Local calendar of a time zone from `Intl`: the day, the week's Monday and the month of an instant. */
const localCalendar = (timeZone: string) => {
  const format = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "numeric", day: "numeric" })
  const local = (at: number) => {
    const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]))
    return { year: Number(parts["year"]), month: Number(parts["month"]), day: Number(parts["day"]) }
  }
  const dayNumber = (at: number) => {
    const { day, month, year } = local(at)
    return Date.UTC(year, month - 1, day) / 86_400_000
  }
  return {
    day: (at: number) => dayNumber(at),
    // Day 0 (1970-01-01) was a Thursday: Monday is 3 days before it.
    week: (at: number) => {
      const d = dayNumber(at)
      return d - (((d + 3) % 7) + 7) % 7
    },
    month: (at: number) => {
      const { month, year } = local(at)
      return year * 12 + month
    }
  }
}

// ---------------------------------------------------------------------------------------------

const CASH = 10_000

/** Everything a reader sees at `now` with fixed cash. */
const view = (p: Portfolio.Portfolio, now: number) => {
  const v = Valuation.value(p, CASH, now)
  return { snapshot: Valuation.snapshot(p, v), pnl: Valuation.pnl(p, v), exposure: Valuation.exposure(v), net: Valuation.netPositions(v) }
}

/**
 * Ingests one event as the service and the backtest do: the parked closes whose grace has
 * passed first, then the event and the closes its open releases. Answers every decision.
 */
const ingest = (p: Portfolio.Portfolio, e: IncomingEvent): Array<Portfolio.Decision> => [
  ...(p.parked.size > 0 ? Portfolio.expireParked(p, e.at) : []),
  ...Portfolio.step(p, e, e.at)
]

const closesOf = (decisions: ReadonlyArray<Portfolio.Decision>): Array<ClosedTradeRecord> =>
  decisions.flatMap((d) => (d._tag === "Applied" ? d.changes.closes : []))

/**
 * Applies events, collecting the close records as a store would; at the end the grace of every
 * close still parked passes (so the result does not hang on when the last event came).
 */
const replay = (options: Portfolio.Options, events: ReadonlyArray<IncomingEvent>) => {
  const p = Portfolio.make(options)
  const closes: Array<ClosedTradeRecord> = []
  for (const e of events) closes.push(...closesOf(ingest(p, e)))
  closes.push(...closesOf(Portfolio.expireParked(p, Number.POSITIVE_INFINITY)))
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
        const p = Portfolio.make({ ...options, timeZone: "America/New_York" })
        const closes: Array<ClosedTradeRecord> = []
        for (const e of evs) {
          closes.push(...closesOf(ingest(p, e)))
          const v = Valuation.value(p, Valuation.paperCash(p, CASH), p.lastEventAt)
          const x = Valuation.exposure(v)
          // Each position is marked by the rules, at its symbol's last price (entry when none).
          for (const q of v.positions) {
            const mark = p.marks.get(q.symbol)?.price ?? q.entry_price
            expect(q.current_price).toBe(mark)
            expect(q.exposure).toBe(q.size * mark)
            expect(q.size).toBeGreaterThan(0)
            const rule = unrealizedRule(q.side, q.entry_price, q.size, mark)
            const bound = 4 * Number.EPSILON * (Math.abs(mark) + Math.abs(q.entry_price)) * q.size
            if (!(Math.abs(q.unrealized_pnl - rule) <= bound)) expect.fail(`${q.symbol} unrealized ${q.unrealized_pnl}, rule ${rule}`)
          }
          // Exposure: total = long + short, Σ by symbol, Σ by sector — each against the exact sum of the positions.
          const exposures = v.positions.map((q) => q.exposure)
          const ofSide = (side: string) => v.positions.filter((q) => q.side === side).map((q) => q.exposure)
          expect(x.net_exposure).toBe(x.long_exposure - x.short_exposure)
          expectSumOf(x.long_exposure, ofSide("LONG"), "long")
          expectSumOf(x.short_exposure, ofSide("SHORT"), "short")
          expectSumOf(x.total_exposure, exposures, "total = long + short")
          const symbols = [...new Set(v.positions.map((q) => q.symbol))].sort()
          expect(Object.keys(x.exposure_by_symbol).sort()).toEqual(symbols)
          for (const symbol of symbols) {
            expectSumOf(x.exposure_by_symbol[symbol]!, v.positions.filter((q) => q.symbol === symbol).map((q) => q.exposure), `by symbol ${symbol}`)
          }
          expectSumOf(exactSum(Object.values(x.exposure_by_sector)), exposures, "Σ by sector")
          // By risk bucket: every category listed, each the exact sum of its positions.
          expect(Object.keys(x.exposure_by_category)).toEqual(["CORE", "EXPANSION", "MONITORING", "TOXIC"])
          for (const [category, value] of Object.entries(x.exposure_by_category)) {
            expectSumOf(value, v.positions.filter((q) => q.category === category).map((q) => q.exposure), `by category ${category}`)
          }
          // Paper cash = initial + Σ closes; equity = cash + Σ unrealized.
          const realized = closes.map((c) => c.realized_pnl)
          expectSumOf(PnlStats.total(p.pnl), realized, "realized total = Σ closes")
          expectSumOf(v.cash, [CASH, ...realized], "cash = initial + Σ closes")
          expectSumOf(v.unrealizedPnl, v.positions.map((q) => q.unrealized_pnl), "Σ unrealized")
          expect(v.equity).toBe(v.cash + v.unrealizedPnl)
          // Statistics over the round trips the closes end: gross profit and loss by sign, win rate = wins / round trips.
          const pnl = Valuation.pnl(p, v)
          const trips = closes.flatMap((c) => (c.round_trip_pnl === null ? [] : [c.round_trip_pnl]))
          const wins = trips.filter((t) => t > 0)
          const losses = trips.filter((t) => t < 0)
          expectSumOf(pnl.gross_profit, wins, "gross profit")
          expectSumOf(pnl.gross_loss, losses.map((t) => -t), "gross loss")
          expect(pnl.num_closed_trades).toBe(trips.length)
          expect(pnl.num_winning_trades).toBe(wins.length)
          expect(pnl.num_losing_trades).toBe(losses.length)
          expect(pnl.win_rate).toBe(trips.length === 0 ? 0 : wins.length / trips.length)
          expect(pnl.best_trade_pnl).toBe(trips.length === 0 ? 0 : Math.max(...trips))
          expect(pnl.worst_trade_pnl).toBe(trips.length === 0 ? 0 : Math.min(...trips))
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
        // The realized total and each window against the exact sum of the close records in it
        // (local days, weeks from Monday and months in New York, from Intl).
        const local = localCalendar("America/New_York")
        const realizedWhere = (keep: (c: ClosedTradeRecord) => boolean) => closes.filter(keep).map((c) => c.realized_pnl)
        const all = realizedWhere(() => true)
        for (const q of [p, restored, fromBuckets]) {
          expectSumOf(PnlStats.total(q.pnl), all, "total")
          expectSumOf(PnlStats.today(q.pnl, now), realizedWhere((c) => local.day(c.closed_at) === local.day(now)), "today")
          expectSumOf(PnlStats.week(q.pnl, now), realizedWhere((c) => local.week(c.closed_at) === local.week(now)), "week")
          expectSumOf(PnlStats.month(q.pnl, now), realizedWhere((c) => local.month(c.closed_at) === local.month(now)), "month")
        }
        // Every day, week and month window together hold the total.
        for (const windows of [p.pnl.byDay, p.pnl.byWeek, p.pnl.byMonth]) {
          expectSumOf(exactSum([...windows.values()].map(Sum.value)), all, "Σ windows")
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
        expectClose(PnlStats.total(p.pnl), realizedRule(s, entry, exit, qty), "rule", scale)
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
        expectClose(PnlStats.total(whole.pnl), realizedRule(s, entry, exit, qty), "rule", Math.abs(entry * qty))
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
        const left = [...oneWay.positions.values()]
        expect(left.map((q) => [q.symbol, q.side])).toEqual([["SOLUSDT", other]])
        expect(left[0]).toMatchObject({ size: against - size, entry_price: exit })
        expect(PnlStats.total(oneWay.pnl)).toBe(realizedRule(s, entry, exit, size))
        const hedge = replay({ positionSource: "fills", positionMode: "hedge" }, events)
        expect(hedge.p.positions.size).toBe(0)
        expect(hedge.closes.map((c) => [c.quantity, c.over_close])).toEqual([[size, true]])
      }),
      { numRuns: 300 }
    )
  })
})
