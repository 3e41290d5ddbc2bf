/**
 * A position as an exchange reports it: what `AccountBalance.positions` answers and what
 * reconciliation compares our net positions with. In `schema/` (not `ports/`) so that the
 * domain can name it without depending on a port.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { PositionSide } from "./Primitives.js"

/**
 * One `(symbol, side)` position of the exchange account: size (always positive), the
 * exchange's average entry and mark price, leverage and its unrealized PnL, as reported.
 */
export const ExchangePosition = Schema.Struct({
  symbol: Schema.String,
  side: PositionSide,
  size: Schema.Number,
  entryPrice: Schema.Number,
  markPrice: Schema.Number,
  leverage: Schema.Number,
  unrealizedPnl: Schema.Number
}).annotations({ identifier: "ExchangePosition" })
/** @since 0.1.0 */
export type ExchangePosition = typeof ExchangePosition.Type
