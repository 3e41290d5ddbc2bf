/**
 * The events this service consumes, as their payloads arrive (snake_case JSON). Fields the
 * original Python models send are accepted even when unused; unknown extra fields are ignored;
 * a missing or malformed required field is rejected with its name.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import {
  EventTime,
  FiniteNumber,
  FillSide,
  Id,
  Leverage,
  NonNegative,
  PositionSide,
  Price,
  Quantity,
  TradingSymbol,
  SymbolCategory,
  TradeSide
} from "./Primitives.js"

const optional = Schema.optional

/**
 * `trade.opened`: the execution service opened a trade. `side` is `LONG`/`SHORT` or
 * `BUY`/`SELL`; `timestamp` is optional (the envelope's time is used when absent).
 */
export const TradeOpened = Schema.Struct({
  trade_id: Id,
  symbol: TradingSymbol,
  side: TradeSide,
  entry_price: Price,
  quantity: Quantity,
  leverage: Schema.optionalWith(Leverage, { default: () => 1 }),
  timestamp: optional(EventTime),
  order_id: optional(Schema.String),
  stop_loss: optional(Schema.NullOr(FiniteNumber)),
  take_profit: optional(Schema.NullOr(FiniteNumber)),
  fees: optional(NonNegative),
  category: optional(SymbolCategory),
  strategy: optional(Schema.String),
  confidence: optional(Schema.NullOr(FiniteNumber)),
  model: optional(Schema.NullOr(Schema.String))
}).annotations({ identifier: "TradeOpened", description: "Payload of `trade.opened`." })
/** @since 0.1.0 */
export type TradeOpened = typeof TradeOpened.Type

/**
 * `trade.closed`: a trade was closed, wholly or (when `quantity` is less than what remains)
 * partly. `realized_pnl`, when present, is the authoritative figure for this close (net of
 * fees); otherwise it is computed from `exit_price`.
 */
export const TradeClosed = Schema.Struct({
  trade_id: Id,
  symbol: optional(TradingSymbol),
  side: optional(TradeSide),
  exit_price: Price,
  quantity: optional(Quantity),
  realized_pnl: optional(FiniteNumber),
  fees: optional(NonNegative),
  entry_price: optional(Price),
  timestamp: optional(EventTime),
  order_id: optional(Schema.String),
  close_id: optional(Schema.String),
  pnl_pct: optional(Schema.NullOr(FiniteNumber)),
  duration_sec: optional(Schema.NullOr(FiniteNumber)),
  close_reason: optional(Schema.NullOr(Schema.String)),
  reason: optional(Schema.NullOr(Schema.String))
}).annotations({ identifier: "TradeClosed", description: "Payload of `trade.closed`." })
/** @since 0.1.0 */
export type TradeClosed = typeof TradeClosed.Type

/**
 * `order.executed`: an exchange fill. By default it only updates the symbol's last price; with
 * `position_source = "fills"` it builds positions (see `Position.applyFill`).
 * `position_side` is needed in hedge mode; `fill_id` distinguishes several fills of one order.
 */
export const OrderExecuted = Schema.Struct({
  order_id: Id,
  symbol: TradingSymbol,
  side: FillSide,
  quantity: Quantity,
  price: Price,
  fill_id: optional(Schema.Union(Schema.String, Schema.Finite)),
  trade_id: optional(Schema.String),
  position_side: optional(Schema.Union(PositionSide, Schema.Literal("BOTH"))),
  fee: optional(NonNegative),
  fee_asset: optional(Schema.NullOr(Schema.String)),
  leverage: optional(Leverage),
  reduce_only: optional(Schema.Boolean),
  status: optional(Schema.String),
  order_type: optional(Schema.String),
  timestamp: optional(EventTime)
}).annotations({ identifier: "OrderExecuted", description: "Payload of `order.executed`." })
/** @since 0.1.0 */
export type OrderExecuted = typeof OrderExecuted.Type

/** `ess.tripped`: the emergency stop system tripped. */
export const EssTripped = Schema.Struct({
  reason: Schema.optionalWith(Schema.String, { default: () => "unspecified" }),
  timestamp: optional(EventTime),
  severity: optional(Schema.NullOr(Schema.String)),
  triggered_by: optional(Schema.NullOr(Schema.String)),
  drawdown_pct: optional(Schema.NullOr(FiniteNumber))
}).annotations({ identifier: "EssTripped", description: "Payload of `ess.tripped`." })
/** @since 0.1.0 */
export type EssTripped = typeof EssTripped.Type

/** `market.tick`: the latest price of a symbol. `mark_price`, when present, is preferred. */
export const MarketTick = Schema.Struct({
  symbol: TradingSymbol,
  price: Price,
  mark_price: optional(Price),
  timestamp: optional(EventTime),
  bid: optional(Schema.NullOr(FiniteNumber)),
  ask: optional(Schema.NullOr(FiniteNumber)),
  volume: optional(Schema.NullOr(FiniteNumber))
}).annotations({ identifier: "MarketTick", description: "Payload of `market.tick`." })
/** @since 0.1.0 */
export type MarketTick = typeof MarketTick.Type

/** The event types this service consumes, with the schema of each payload. */
export const IncomingPayloads = {
  "trade.opened": TradeOpened,
  "trade.closed": TradeClosed,
  "order.executed": OrderExecuted,
  "ess.tripped": EssTripped,
  "market.tick": MarketTick
} as const

/** The names of the events this service consumes. */
export type IncomingEventType = keyof typeof IncomingPayloads

/** The names of the events this service consumes, as a schema. */
export const IncomingEventType = Schema.Literal(
  "trade.opened",
  "trade.closed",
  "order.executed",
  "ess.tripped",
  "market.tick"
).annotations({ identifier: "IncomingEventType" })

/** Every incoming event type, in a fixed order. */
export const incomingEventTypes: ReadonlyArray<IncomingEventType> = IncomingEventType.literals

/**
 * A decoded incoming event: its type, its decoded payload, its event time (the payload's
 * `timestamp`, or the envelope's when the payload has none) and its tracing ids.
 */
export type IncomingEvent =
  | IncomingEventOf<"trade.opened">
  | IncomingEventOf<"trade.closed">
  | IncomingEventOf<"order.executed">
  | IncomingEventOf<"ess.tripped">
  | IncomingEventOf<"market.tick">

/** One member of {@link IncomingEvent}. */
export interface IncomingEventOf<T extends IncomingEventType> {
  readonly type: T
  readonly payload: Schema.Schema.Type<(typeof IncomingPayloads)[T]>
  /** Event time, epoch milliseconds UTC. */
  readonly at: number
  readonly traceId: string
  readonly correlationId?: string | undefined
  readonly source: string
}
