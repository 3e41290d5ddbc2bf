/**
 * Order across the per-type streams (DESIGN.md §3, §5): a consumer may see the streams of
 * opens, closes and ticks interleaved in any way that keeps each stream's own order (a burst,
 * a backlog after a restart, an outage). Parking makes the result the same as the global
 * order's: a close that comes before its open waits for it.
 */
import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { Portfolio, PnlStats, type IncomingEvent } from "../src/index.js"

const T0 = Date.parse("2025-03-07T09:00:00Z")
const SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"] as const

/** A session in global order: trades opened, partly and fully closed, and ticks, each stamped in time. */
const session = fc
  .array(
    fc.record({
      symbol: fc.constantFrom(...SYMBOLS),
      side: fc.constantFrom("LONG" as const, "SHORT" as const),
      entry: fc.integer({ min: 50, max: 150 }),
      quantity: fc.integer({ min: 1, max: 8 }),
      partial: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
      exits: fc.tuple(fc.integer({ min: 50, max: 150 }), fc.integer({ min: 50, max: 150 })),
      closes: fc.boolean(),
      start: fc.integer({ min: 0, max: 500 }),
      gaps: fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 }))
    }),
    { minLength: 1, maxLength: 12 }
  )
  .chain((trades) =>
    fc.array(fc.record({ symbol: fc.constantFrom(...SYMBOLS), price: fc.integer({ min: 50, max: 150 }), at: fc.integer({ min: 0, max: 800 }) }), { maxLength: 20 })
      .map((ticks) => {
        const events: Array<IncomingEvent> = []
        trades.forEach((t, i) => {
          const id = `t${i}`
          const openedAt = T0 + t.start * 1000
          events.push({ type: "trade.opened", payload: { trade_id: id, symbol: t.symbol, side: t.side, entry_price: t.entry, quantity: t.quantity, leverage: 1 }, at: openedAt, traceId: "", source: "test" } as IncomingEvent)
          let at = openedAt + t.gaps[0] * 1000
          if (t.partial !== undefined && t.partial < t.quantity) {
            events.push({ type: "trade.closed", payload: { trade_id: id, exit_price: t.exits[0], quantity: t.partial, close_id: `${id}-p` }, at, traceId: "", source: "test" } as IncomingEvent)
            at += t.gaps[1] * 1000
          }
          if (t.closes) events.push({ type: "trade.closed", payload: { trade_id: id, exit_price: t.exits[1], close_id: `${id}-f` }, at, traceId: "", source: "test" } as IncomingEvent)
        })
        for (const tick of ticks) events.push({ type: "market.tick", payload: { symbol: tick.symbol, price: tick.price }, at: T0 + tick.at * 1000 + 1, traceId: "", source: "test" } as IncomingEvent)
        // The global order: by time, ties as the merge orders them (opened < closed < tick).
        const rank = { "trade.opened": 0, "order.executed": 1, "trade.closed": 2, "market.tick": 3, "ess.tripped": 4 }
        return events
          .map((e, i) => ({ e, i }))
          .sort((a, b) => a.e.at - b.e.at || rank[a.e.type] - rank[b.e.type] || a.i - b.i)
          .map(({ e }) => e)
      })
  )

/** Each type's stream, in its own order. */
const streams = (events: ReadonlyArray<IncomingEvent>) => {
  const byType = new Map<string, Array<IncomingEvent>>()
  for (const e of events) byType.set(e.type, [...(byType.get(e.type) ?? []), e])
  return [...byType.values()]
}

/** One interleaving of the streams that keeps each stream's order, chosen by `picks`. */
const interleave = (parts: ReadonlyArray<ReadonlyArray<IncomingEvent>>, picks: ReadonlyArray<number>) => {
  const cursors = parts.map(() => 0)
  const out: Array<IncomingEvent> = []
  let k = 0
  while (out.length < parts.reduce((n, p) => n + p.length, 0)) {
    const live = parts.map((_, i) => i).filter((i) => cursors[i]! < parts[i]!.length)
    const i = live[(picks[k++ % Math.max(1, picks.length)] ?? 0) % live.length]!
    out.push(parts[i]![cursors[i]!++]!)
  }
  return out
}

/** The state's observable result, with realized PnL as a number to compare within rounding. */
const outcome = (events: ReadonlyArray<IncomingEvent>) => {
  const p = Portfolio.make()
  for (const e of events) Portfolio.step(p, e, T0) // one clock: no parked close expires
  return {
    open: [...p.trades.values()].map((t) => [t.trade_id, t.size]).sort(),
    marks: [...p.marks].sort(),
    realized: PnlStats.total(p.pnl),
    closes: p.pnl.closes,
    parked: Portfolio.parkedCount(p),
    orphans: p.counters.orphanCloses
  }
}

describe("order across streams", () => {
  it("any interleaving of the per-type streams that keeps each stream's order ends in the global order's state", () => {
    fc.assert(
      fc.property(session, fc.array(fc.nat(), { minLength: 1, maxLength: 64 }), (events, picks) => {
        const global = outcome(events)
        const mixed = outcome(interleave(streams(events), picks))
        expect(mixed.open).toEqual(global.open)
        expect(mixed.marks).toEqual(global.marks)
        expect(mixed.closes).toBe(global.closes)
        expect(mixed.parked).toBe(0)
        expect(mixed.orphans).toBe(0)
        expect(Math.abs(mixed.realized - global.realized)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(global.realized)))
      }),
      { numRuns: 300 }
    )
  })

  it("the same session with every close delivered before every open still has no orphan", () => {
    fc.assert(
      fc.property(session, (events) => {
        const closesFirst = [...events.filter((e) => e.type === "trade.closed"), ...events.filter((e) => e.type !== "trade.closed")]
        expect(outcome(closesFirst)).toEqual({ ...outcome(events), realized: expect.closeTo(outcome(events).realized, 9) })
      }),
      { numRuns: 100 }
    )
  })
})
