/**
 * A position and the accounting rules of DESIGN.md §3: unrealized PnL, percent, return on
 * margin, exposure, realized PnL of a close, and how a fill changes a position (adds with an
 * average entry, partial and full closes, flips in one-way mode).
 *
 * @since 0.1.0
 */
import type { PositionSide } from "../schema/Primitives.js"

/** A position: its side, its size (> 0) and its average entry price. */
export interface Position {
  readonly side: PositionSide
  readonly size: number
  readonly entryPrice: number
}

/**
 * Sizes within this fraction of the original are dust: a close that leaves less than
 * `size × DUST` closes the position (float64 leftovers such as 1.1 − 0.2 − 0.9 = 1.1e−16).
 */
export const DUST = 1e-9

/**
 * Unrealized PnL: `(mark − entry) × size` for LONG, `(entry − mark) × size` for SHORT.
 */
export const unrealizedPnl = (side: PositionSide, entryPrice: number, size: number, mark: number): number =>
  side === "LONG" ? (mark - entryPrice) * size : (entryPrice - mark) * size

/**
 * Unrealized PnL in percent of the entry notional: `unrealized / (entry × size) × 100`
 * (percent, not a fraction — the original service sent a fraction here). 0 for an empty position.
 */
export const unrealizedPnlPct = (unrealized: number, entryPrice: number, size: number): number => {
  const notional = entryPrice * size
  return notional === 0 ? 0 : (unrealized / notional) * 100
}

/** Return on margin, as exchanges show it: `unrealized_pnl_pct × leverage`. */
export const roePct = (unrealizedPct: number, leverage: number): number => unrealizedPct * leverage

/** Notional exposure: `size × mark`. */
export const exposure = (size: number, mark: number): number => size * mark

/**
 * Realized PnL of closing `quantity` at `exit`, before fees: `(exit − entry) × qty` for LONG,
 * `(entry − exit) × qty` for SHORT.
 */
export const realizedOnClose = (side: PositionSide, entryPrice: number, exitPrice: number, quantity: number): number =>
  side === "LONG" ? (exitPrice - entryPrice) * quantity : (entryPrice - exitPrice) * quantity

/** Size-weighted average of two entries: what an add in the position's direction leaves. */
export const averageEntry = (size: number, entryPrice: number, addSize: number, addPrice: number): number =>
  (size * entryPrice + addSize * addPrice) / (size + addSize)

/** A fill in position terms: `LONG` for a buy, `SHORT` for a sell. */
export interface Fill {
  readonly direction: PositionSide
  readonly quantity: number
  readonly price: number
}

/** What a fill did to a position. */
export interface FillOutcome {
  /** The position after the fill; `undefined` when it is flat. */
  readonly position: Position | undefined
  /** Quantity of the old position that was closed. */
  readonly closedQuantity: number
  /** Realized PnL of the closed quantity, before fees. */
  readonly realizedPnl: number
  /** Whether the fill crossed zero and opened the other side (one-way mode only). */
  readonly flipped: boolean
  /** Quantity that would have crossed zero where flips are not allowed (hedge mode): ignored. */
  readonly excessQuantity: number
}

/**
 * Applies a fill to a position.
 *
 * - In the position's direction (or opening one): size grows, entry becomes the size-weighted
 *   average of the old entry and the fill price.
 * - Against it, not past zero: entry unchanged; realized PnL by {@link realizedOnClose}.
 * - Past zero: with `hedgeSide` undefined (one-way mode) the whole position closes and the
 *   remainder opens the other side at the fill price; in hedge mode (`hedgeSide` given, the
 *   position side this fill belongs to) the excess is reported and ignored.
 */
export const applyFill = (position: Position | undefined, fill: Fill, hedgeSide?: PositionSide): FillOutcome => {
  const side = hedgeSide ?? position?.side ?? fill.direction
  if (position === undefined || position.size <= 0) {
    if (fill.direction === side) {
      return {
        position: { side, size: fill.quantity, entryPrice: fill.price },
        closedQuantity: 0,
        realizedPnl: 0,
        flipped: false,
        excessQuantity: 0
      }
    }
    return { position: undefined, closedQuantity: 0, realizedPnl: 0, flipped: false, excessQuantity: fill.quantity }
  }
  if (fill.direction === position.side) {
    return {
      position: {
        side: position.side,
        size: position.size + fill.quantity,
        entryPrice: averageEntry(position.size, position.entryPrice, fill.quantity, fill.price)
      },
      closedQuantity: 0,
      realizedPnl: 0,
      flipped: false,
      excessQuantity: 0
    }
  }
  const closedQuantity = Math.min(fill.quantity, position.size)
  const realizedPnl = realizedOnClose(position.side, position.entryPrice, fill.price, closedQuantity)
  const remaining = position.size - closedQuantity
  const leftover = fill.quantity - closedQuantity
  const flat = remaining <= position.size * DUST
  const after: Position | undefined = flat ? undefined : { ...position, size: remaining }
  if (!flat || leftover <= fill.quantity * DUST) {
    return { position: after, closedQuantity, realizedPnl, flipped: false, excessQuantity: 0 }
  }
  if (hedgeSide !== undefined) {
    return { position: undefined, closedQuantity, realizedPnl, flipped: false, excessQuantity: leftover }
  }
  return {
    position: { side: fill.direction, size: leftover, entryPrice: fill.price },
    closedQuantity,
    realizedPnl,
    flipped: true,
    excessQuantity: 0
  }
}
