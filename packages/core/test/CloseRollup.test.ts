import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import * as Calendar from "../src/domain/Calendar.js"
import * as CloseRollup from "../src/domain/CloseRollup.js"
import * as RollupCover from "../src/domain/RollupCover.js"
import * as Sum from "../src/domain/Sum.js"
import * as TradeAnalytics from "../src/domain/TradeAnalytics.js"
import type { ClosedTradeRecord } from "../src/schema/Records.js"
import { closedTradeRecord } from "../src/testing/index.js"

const Q = CloseRollup.QUARTER
const DAY = CloseRollup.DAY
const BASE = Date.UTC(2026, 4, 10, 23, 0)

/** Round trips (some partial closes between them) at random times over two days. */
const closesArb = fc
  .array(
    fc.record({
      at: fc.oneof(fc.integer({ min: 0, max: 2 * DAY }), fc.integer({ min: 0, max: 2 * 96 }).map((k) => k * Q)),
      pnl: fc.oneof(fc.constant(0), fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.integer({ min: -3, max: 3 })),
      partial: fc.boolean(),
      symbol: fc.constantFrom("BTCUSDT", "ETHUSDT")
    }),
    { maxLength: 80 }
  )
  .map((drawn) =>
    drawn.map(({ at, partial, pnl, symbol }, i) =>
      closedTradeRecord(`c${String(i).padStart(3, "0")}`, BASE + at, { symbol, realized_pnl: pnl, round_trip_pnl: partial ? null : pnl })
    )
  )

describe("CloseRollup", () => {
  it("runs merge as a monoid: any cut of a sequence of round trips gives the longest streaks of the whole", () =>
    fc.assert(
      fc.property(fc.array(fc.constantFrom(1, -1, 0, 2.5, -0.5), { maxLength: 60 }), fc.array(fc.nat(), { maxLength: 10 }), (pnls, cuts) => {
        const bounds = [...new Set(cuts.map((c) => c % (pnls.length + 1)))].sort((a, b) => a - b)
        const chunks: Array<Array<number>> = []
        let last = 0
        for (const b of [...bounds, pnls.length]) {
          chunks.push(pnls.slice(last, b))
          last = b
        }
        const summary = RollupCover.emptySummary()
        for (const [i, chunk] of chunks.entries()) {
          const row = CloseRollup.advance(
            CloseRollup.empty(Q, i * Q, CloseRollup.ALL),
            chunk.map((pnl, j) => closedTradeRecord(`c${i}-${j}`, i * Q, { realized_pnl: pnl, round_trip_pnl: pnl }))
          )
          RollupCover.addRow(summary, row)
        }
        const merged = TradeAnalytics.fromTotals(RollupCover.totals(summary))
        const direct = TradeAnalytics.statistics(pnls)
        expect([merged.longestWinStreak, merged.longestLossStreak, merged.trades, merged.wins, merged.losses, merged.breakevens])
          .toEqual([direct.longestWinStreak, direct.longestLossStreak, direct.trades, direct.wins, direct.losses, direct.breakevens])
      })
    ))

  it("a break-even ends both streaks and joins nothing", () => {
    const row = (pnls: ReadonlyArray<number>) =>
      CloseRollup.advance(CloseRollup.empty(Q, 0, CloseRollup.ALL), pnls.map((pnl, i) => closedTradeRecord(`c${i}-${pnl}`, i, { round_trip_pnl: pnl })))
    expect(row([1, 1, 0, -1])).toMatchObject({ first_run: 2, last_run: -1, longest_win: 2, longest_loss: 1 })
    expect(row([0])).toMatchObject({ first_run: 0, last_run: 0, longest_win: 0, longest_loss: 0, round_trips: 1 })
    const a = row([1, 1])
    const b = row([0, 1])
    expect(CloseRollup.mergeRuns(a, 2, b, 2)).toEqual({ first_run: 2, last_run: 1, longest_win: 2, longest_loss: 0 })
    expect(CloseRollup.mergeRuns(a, 2, row([1, -1]), 2)).toEqual({ first_run: 3, last_run: -1, longest_win: 3, longest_loss: 1 })
  })

  it("fromCloses sums each span's closes as Sum does, whatever the order the closes come in", () =>
    fc.assert(
      fc.property(closesArb, (closes) => {
        const rows = CloseRollup.fromCloses([...closes].reverse())
        expect(rows).toEqual(CloseRollup.fromCloses(closes))
        for (const row of rows) {
          const mine = closes
            .filter((c) => CloseRollup.startOf(row.span, c.closed_at) === row.start && (row.symbol === CloseRollup.ALL || c.symbol === row.symbol))
            .sort(CloseRollup.compareCloses)
          const trips = mine.flatMap((c) => (c.round_trip_pnl === null ? [] : [c.round_trip_pnl]))
          const s = TradeAnalytics.statistics(trips)
          expect(Sum.value({ total: row.realized_pnl, compensation: row.realized_pnl_c })).toBe(Sum.of(mine.map((c) => c.realized_pnl)))
          expect(Sum.value({ total: row.round_trip_pnl, compensation: row.round_trip_pnl_c })).toBe(s.total)
          expect([row.round_trips, row.wins, row.losses, row.longest_win, row.longest_loss]).toEqual([s.trades, s.wins, s.losses, s.longestWinStreak, s.longestLossStreak])
          expect(row.best).toBe(trips.length === 0 ? null : Math.max(...trips))
          expect(row.worst).toBe(trips.length === 0 ? null : Math.min(...trips))
          expect(row.last_close_id).toBe(mine[mine.length - 1]!.close_id)
        }
      })
    ))

  it("update continues rows with later closes and sums a row again when a close comes late", () =>
    fc.assert(
      fc.property(closesArb, fc.nat(), (closes, cut) => {
        const k = closes.length === 0 ? 0 : cut % closes.length
        const first = closes.slice(0, k)
        const stored = new Map(CloseRollup.fromCloses(first).map((row) => [CloseRollup.keyOf(row), row]))
        const updated = CloseRollup.update(stored, CloseRollup.byRow(closes.slice(k)), (key) =>
          closes.filter((c) => CloseRollup.startOf(key.span, c.closed_at) === key.start))
        for (const row of updated) stored.set(CloseRollup.keyOf(row), row)
        expect([...stored.values()].sort(CloseRollup.compareRows)).toEqual(CloseRollup.fromCloses(closes))
      })
    ))

  it("pieces cover a range exactly: closes at the ends, 15-minute rows, day rows, each on its boundaries", () => {
    const t = (d: number, h: number, m: number) => Date.UTC(2026, 0, d, h, m)
    expect(RollupCover.pieces(t(1, 10, 7), t(1, 10, 52))).toEqual([
      { kind: "closes", span: Q, from: t(1, 10, 7), to: t(1, 10, 15) },
      { kind: "rows", span: Q, from: t(1, 10, 15), to: t(1, 10, 45) },
      { kind: "closes", span: Q, from: t(1, 10, 45), to: t(1, 10, 52) }
    ])
    expect(RollupCover.pieces(t(1, 23, 0), t(4, 1, 0))).toEqual([
      { kind: "rows", span: Q, from: t(1, 23, 0), to: t(2, 0, 0) },
      { kind: "rows", span: DAY, from: t(2, 0, 0), to: t(4, 0, 0) },
      { kind: "rows", span: Q, from: t(4, 0, 0), to: t(4, 1, 0) }
    ])
    expect(RollupCover.pieces(t(1, 10, 1), t(1, 10, 2))).toEqual([{ kind: "closes", span: Q, from: t(1, 10, 1), to: t(1, 10, 2) }])
    expect(RollupCover.pieces(undefined, undefined)).toEqual([{ kind: "rows", span: DAY, from: undefined, to: undefined }])
    expect(RollupCover.pieces(t(1, 10, 1), undefined, false)).toEqual([
      { kind: "closes", span: Q, from: t(1, 10, 1), to: t(1, 10, 15) },
      { kind: "rows", span: Q, from: t(1, 10, 15), to: undefined }
    ])
    expect(RollupCover.pieces(5, 5)).toEqual([])
  })

  it("offsetIntervals cuts a range where the zone's offset changes, on the 15-minute boundary", () => {
    // Europe/Oslo: +1 h until 2026-03-29 01:00 UTC, then +2 h.
    const change = Date.UTC(2026, 2, 29, 1)
    const offsetAt = (ms: number) => (ms < change ? 3_600_000 : 7_200_000)
    const from = Date.UTC(2026, 2, 20, 7, 3)
    const to = Date.UTC(2026, 3, 2)
    expect(RollupCover.offsetIntervals(offsetAt, from, to)).toEqual([
      { from, to: change, offset: 3_600_000 },
      { from: change, to, offset: 7_200_000 }
    ])
    expect(RollupCover.offsetIntervals(() => 0, from, to)).toEqual([{ from, to, offset: 0 }])
    // A change in the last, short step of the range; and the real zone's changes of a year.
    expect(RollupCover.offsetIntervals(offsetAt, change - 3_600_000, change + 900_000)).toEqual([
      { from: change - 3_600_000, to: change, offset: 3_600_000 },
      { from: change, to: change + 900_000, offset: 7_200_000 }
    ])
    const oslo = Calendar.make("Europe/Oslo")
    expect(RollupCover.offsetIntervals(oslo.offsetAt, Date.UTC(2025, 0, 1), Date.UTC(2026, 0, 1)).map((s) => [new Date(s.to).toISOString(), s.offset / 3_600_000]))
      .toEqual([["2025-03-30T01:00:00.000Z", 1], ["2025-10-26T01:00:00.000Z", 2], ["2026-01-01T00:00:00.000Z", 1]])
  })

  it("updateKeeping: commits in any arrival order and cut, many in one millisecond, end in the reference rows; a late close refolds from a checkpoint", () => {
    let fromCheckpoint = 0
    let fromStart = 0
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            // Seconds apart (a checkpoint each) and tens of milliseconds apart (fewer checkpoints than times).
            at: fc.oneof(fc.integer({ min: 0, max: 5 }).map((k) => BASE + k * 1_000), fc.integer({ min: 0, max: 12 }).map((k) => BASE + k * 30)),
            pnl: fc.oneof(fc.constant(0), fc.double({ min: -1e4, max: 1e4, noNaN: true })),
            partial: fc.boolean(),
            symbol: fc.constantFrom("BTCUSDT", "ETHUSDT"),
            order: fc.nat(),
            cut: fc.boolean(),
            reload: fc.boolean()
          }),
          { maxLength: 60 }
        ),
        (drawn) => {
          const all = drawn.map(({ at, partial, pnl, symbol }, i) =>
            closedTradeRecord(`c${String(i).padStart(3, "0")}`, at, { symbol, realized_pnl: pnl, round_trip_pnl: partial ? null : pnl }))
          const arrival = all.map((close, i) => ({ close, ...drawn[i]! })).sort((a, b) => a.order - b.order)
          const calls: Array<{ closes: Array<ClosedTradeRecord>; reload: boolean }> = []
          for (const { close, cut, reload } of arrival) {
            if (cut || calls.length === 0) calls.push({ closes: [], reload })
            calls[calls.length - 1]!.closes.push(close)
          }
          const stored: Array<ClosedTradeRecord> = []
          const kept = new Map<string, CloseRollup.KeptRow>()
          for (const { closes: call, reload } of calls) {
            // A store that reads its rows back (a restart, another writer) has them without checkpoints.
            if (reload) for (const [k, r] of kept) kept.set(k, { row: r.row, checkpoints: [] })
            stored.push(...call) // a store inserts the closes, then keeps the rollup
            const rows = CloseRollup.updateKeeping(kept, CloseRollup.byRow(call), (key, from) => {
              if (from === key.start) fromStart++
              else fromCheckpoint++
              return stored.filter((c) => c.closed_at >= from && c.closed_at < key.start + key.span)
            })
            for (const r of rows) kept.set(CloseRollup.keyOf(r.row), r)
          }
          expect([...kept.values()].map((r) => r.row).sort(CloseRollup.compareRows)).toEqual(CloseRollup.fromCloses(all))
        }
      ),
      { numRuns: 300 }
    )
    // Late closes were refolded from checkpoints (and, before a row's first checkpoint, from its span's start).
    expect(fromCheckpoint).toBeGreaterThan(0)
    expect(fromStart).toBeGreaterThan(0)
  })
})

