import { describe, expect, it } from "@effect/vitest"
import * as Position from "../src/domain/Position.js"

const long = (size: number, entryPrice: number): Position.Position => ({ side: "LONG", size, entryPrice })
const short = (size: number, entryPrice: number): Position.Position => ({ side: "SHORT", size, entryPrice })
const buy = (quantity: number, price: number): Position.Fill => ({ direction: "LONG", quantity, price })
const sell = (quantity: number, price: number): Position.Fill => ({ direction: "SHORT", quantity, price })

describe("Position", () => {
  describe("marks", () => {
    it("computes unrealized PnL, percent of entry notional, ROE and exposure", () => {
      // LONG 0.5 @ 40 000 marked at 42 000: (42 000 − 40 000) × 0.5 = 1 000;
      // 1 000 / (40 000 × 0.5) × 100 = 5 %; × 10 leverage = 50 %; exposure 0.5 × 42 000 = 21 000.
      const upnl = Position.unrealizedPnl("LONG", 40_000, 0.5, 42_000)
      expect(upnl).toBe(1_000)
      expect(Position.unrealizedPnlPct(upnl, 40_000, 0.5)).toBe(5)
      expect(Position.roePct(5, 10)).toBe(50)
      expect(Position.exposure(0.5, 42_000)).toBe(21_000)
      // SHORT 2 @ 3 000 marked at 3 100: (3 000 − 3 100) × 2 = −200; −200 / 6 000 × 100 = −3.33… %.
      const s = Position.unrealizedPnl("SHORT", 3_000, 2, 3_100)
      expect(s).toBe(-200)
      expect(Position.unrealizedPnlPct(s, 3_000, 2)).toBeCloseTo(-10 / 3, 12)
      expect(Position.unrealizedPnlPct(0, 3_000, 0)).toBe(0)
    })

    it("realizes (exit − entry) × qty for LONG and (entry − exit) × qty for SHORT", () => {
      expect(Position.realizedOnClose("LONG", 100, 110, 3)).toBe(30)
      expect(Position.realizedOnClose("SHORT", 100, 110, 3)).toBe(-30)
    })
  })

  describe("applyFill", () => {
    it("opens a position on the fill's side at the fill price", () => {
      const out = Position.applyFill(undefined, sell(2, 3_000))
      expect(out).toEqual({ position: short(2, 3_000), closedQuantity: 0, realizedPnl: 0, flipped: false, excessQuantity: 0 })
    })

    it("adds in the position's direction with a size-weighted average entry", () => {
      // 1 @ 100 plus 3 @ 120: (1 × 100 + 3 × 120) / 4 = 460 / 4 = 115.
      const out = Position.applyFill(long(1, 100), buy(3, 120))
      expect(out.position).toEqual(long(4, 115))
      expect(out.closedQuantity).toBe(0)
      expect(out.realizedPnl).toBe(0)
    })

    it("partially closes without moving the entry", () => {
      // LONG 4 @ 115, sell 1 @ 125: realized (125 − 115) × 1 = 10; 3 left at 115.
      const out = Position.applyFill(long(4, 115), sell(1, 125))
      expect(out.position).toEqual(long(3, 115))
      expect(out.closedQuantity).toBe(1)
      expect(out.realizedPnl).toBe(10)
      expect(out.flipped).toBe(false)
    })

    it("closes fully, leaving no position", () => {
      // SHORT 2 @ 3 000 bought back at 2 900: (3 000 − 2 900) × 2 = 200.
      const out = Position.applyFill(short(2, 3_000), buy(2, 2_900))
      expect(out.position).toBeUndefined()
      expect(out.closedQuantity).toBe(2)
      expect(out.realizedPnl).toBe(200)
      expect(out.flipped).toBe(false)
    })

    it("flips in one-way mode: closes all and opens the remainder on the other side at the fill price", () => {
      // LONG 1 @ 100, sell 3 @ 90: close 1 → (90 − 100) × 1 = −10; open SHORT 2 @ 90.
      const out = Position.applyFill(long(1, 100), sell(3, 90))
      expect(out.position).toEqual(short(2, 90))
      expect(out.closedQuantity).toBe(1)
      expect(out.realizedPnl).toBe(-10)
      expect(out.flipped).toBe(true)
      expect(out.excessQuantity).toBe(0)
    })

    it("ignores the excess past zero in hedge mode, and a close of a side with no position", () => {
      // Hedge LONG 1 @ 100, sell 3 @ 90 on the LONG side: close 1 (−10), 2 reported as excess.
      const out = Position.applyFill(long(1, 100), sell(3, 90), "LONG")
      expect(out.position).toBeUndefined()
      expect(out.closedQuantity).toBe(1)
      expect(out.realizedPnl).toBe(-10)
      expect(out.flipped).toBe(false)
      expect(out.excessQuantity).toBe(2)
      // Selling on the LONG side with no LONG position: nothing opens; all of it is excess.
      const none = Position.applyFill(undefined, sell(3, 90), "LONG")
      expect(none).toEqual({ position: undefined, closedQuantity: 0, realizedPnl: 0, flipped: false, excessQuantity: 3 })
      // Selling on the SHORT side opens (or adds to) the SHORT position, whatever LONG holds.
      expect(Position.applyFill(undefined, sell(3, 90), "SHORT").position).toEqual(short(3, 90))
    })

    it("treats float dust as flat: no tiny leftover position, no tiny flip", () => {
      // 1.1 − 0.2 − 0.9 is 1.1e−16 in float64, not 0: the second close leaves dust, not a position.
      const afterFirst = Position.applyFill(long(1.1, 100), sell(0.2, 100)).position!
      expect(afterFirst.size - 0.9).toBeGreaterThan(0)
      const second = Position.applyFill(afterFirst, sell(0.9, 100))
      expect(second.position).toBeUndefined()
      expect(second.closedQuantity).toBe(0.9)
      // Selling 1 + 1e−12 against LONG 1 closes it and does not open a 1e−12 SHORT.
      const dustFlip = Position.applyFill(long(1, 100), sell(1 + 1e-12, 100))
      expect(dustFlip.position).toBeUndefined()
      expect(dustFlip.flipped).toBe(false)
      // A real remainder is still a flip.
      expect(Position.applyFill(long(1, 100), sell(1.001, 100)).position?.side).toBe("SHORT")
    })
  })
})
