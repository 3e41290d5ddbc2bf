/**
 * The events this service consumes, as their payloads arrive (snake_case JSON). Fields the
 * original Python models send are accepted even when unused; unknown extra fields are ignored;
 * a missing or malformed required field is rejected with its name. Numbers are JSON numbers or
 * decimal strings (`"42000.5"`, as Python's `Decimal` and the flat entries send them) in both
 * forms of an entry; symbols are at most 32 characters of `A-Z a-z 0-9 . _ -`, identifiers at
 * most 128 characters, free text at most 1 024. How a flat entry (no `payload` field) is read —
 * Python's `"None"`, `"True"`, `"False"` — is described in `Envelope.ts`.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import {
  EventTime,
  FiniteNumber,
  FillSide,
  Id,
  IdString,
  Leverage,
  NonNegative,
  PositionSide,
  Price,
  Quantity,
  TradingSymbol,
  SymbolCategory,
  Text,
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
  order_id: optional(IdString),
  stop_loss: optional(Schema.NullOr(FiniteNumber)),
  take_profit: optional(Schema.NullOr(FiniteNumber)),
  fees: optional(NonNegative),
  category: optional(SymbolCategory),
  strategy: optional(Text),
  confidence: optional(Schema.NullOr(FiniteNumber)),
  model: optional(Schema.NullOr(Text))
}).annotations({ identifier: "TradeOpened", description: "Payload of `trade.opened`." })
/** @since 0.1.0 */
export type TradeOpened = typeof TradeOpened.Type

/** The fields of `trade.closed`, before the rule that a close names its trade or its symbol and side. */
export const TradeClosedFields = Schema.Struct({
  trade_id: optional(Id),
  symbol: optional(TradingSymbol),
  side: optional(TradeSide),
  exit_price: Price,
  quantity: optional(Quantity),
  realized_pnl: optional(FiniteNumber),
  fees: optional(NonNegative),
  entry_price: optional(Price),
  timestamp: optional(EventTime),
  order_id: optional(IdString),
  close_id: optional(IdString),
  pnl_pct: optional(Schema.NullOr(FiniteNumber)),
  duration_sec: optional(Schema.NullOr(FiniteNumber)),
  close_reason: optional(Schema.NullOr(Text)),
  reason: optional(Schema.NullOr(Text)),
  pnl_usd: Schema.optionalWith(FiniteNumber, { nullable: true }),
  pnl_percent: Schema.optionalWith(FiniteNumber, { nullable: true })
})

/**
 * `trade.closed`, in two shapes (DESIGN.md §3):
 *
 * - **by trade**: `trade_id` names the trade; it is closed wholly or, when `quantity` is less
 *   than what remains, partly.
 * - **by position** (the Python executor's `TradeClosedEvent`, flat, no `trade_id` and no
 *   `quantity`): `symbol` and `side` — the side of the position that was closed, `LONG`/`SHORT`
 *   or `BUY`/`SELL` read as {@link TradeSide} reads them — are then required (rejected naming the
 *   missing one); the position on (symbol, side) is now flat.
 *
 * `realized_pnl` and `pnl_usd`, when present, are the exchange's figure for this close and are
 * authoritative (`pnl_usd` is the total of a close by position), *before* the `fees` carried in
 * the same event — the exchanges' convention — so the close's net PnL is the figure minus
 * `fees`; without them it is computed from `exit_price`. `pnl_percent` (executor) and `pnl_pct`
 * (original model) are accepted and informative only. `pnl_usd: null` and `pnl_percent: null`
 * (Python's `None`) decode as absent.
 */
export const TradeClosed = TradeClosedFields.pipe(
  Schema.filter((close) => {
    if (close.trade_id !== undefined) return undefined
    const issues: Array<Schema.FilterIssue> = []
    for (const field of ["symbol", "side"] as const) {
      if (close[field] === undefined) {
        issues.push({ path: [field], message: "is missing (a close without trade_id names the symbol and side it closes)" })
      }
    }
    return issues
  }),
  Schema.annotations({ identifier: "TradeClosed", description: "Payload of `trade.closed`." })
)
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
  fill_id: optional(Schema.Union(IdString, Schema.Finite)),
  trade_id: optional(IdString),
  position_side: optional(Schema.Union(PositionSide, Schema.Literal("BOTH"))),
  fee: optional(NonNegative),
  fee_asset: optional(Schema.NullOr(Text)),
  leverage: optional(Leverage),
  reduce_only: optional(Schema.Boolean),
  status: optional(Text),
  order_type: optional(Text),
  timestamp: optional(EventTime)
}).annotations({ identifier: "OrderExecuted", description: "Payload of `order.executed`." })
/** @since 0.1.0 */
export type OrderExecuted = typeof OrderExecuted.Type

/** `ess.tripped`: the emergency stop system tripped. */
export const EssTripped = Schema.Struct({
  reason: Schema.optionalWith(Text, { default: () => "unspecified" }),
  timestamp: optional(EventTime),
  severity: optional(Schema.NullOr(Text)),
  triggered_by: optional(Schema.NullOr(Text)),
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
 * `timestamp`, or the envelope's when the payload has none, or the caller's `defaultTime`) and
 * its tracing ids.
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
  /**
   * Whether `at` is the event's own time: `true` when it came from the payload's or the
   * envelope's `timestamp`, `false` when `decodeEnvelope` fell back to `defaultTime` (the time of
   * arrival, or a replay's last event time) — such an `at` must never enter an idempotency key
   * (DESIGN.md §3). `decodeEnvelope` always sets it; absent on events built in code, whose `at`
   * is their own (read absent as `true`).
   */
  readonly timed?: boolean
  /**
   * The caller's idempotency key (`DecodeOptions.idempotencyKey`: the HTTP `Idempotency-Key`
   * header), 1 to 128 characters, as sent. When present it is the event's key (DESIGN.md §3).
   */
  readonly idempotencyKey?: string
}
