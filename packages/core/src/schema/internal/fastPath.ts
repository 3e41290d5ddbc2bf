/**
 * The fast path of `decodeEnvelope`: hand-written decoders of the well-formed payloads that make
 * up nearly all traffic. Each accepts a subset of what its schema in `EventsIn` accepts and
 * returns the value the schema would (the same fields with the same values, in the same order);
 * for anything else it declines (`undefined`) and the caller decodes with the schema, which
 * names every field at fault. So a fast path can be incomplete, never lenient.
 *
 * The input is a JSON object: no own property holds `undefined` (an absent field and an
 * `undefined` one are the same here; the caller sends objects that may hold `undefined` to the
 * schema). `test/Decode.test.ts` checks the agreement with the schemas, with fast-check.
 * Internal: see `decodeEnvelope`.
 */
import type { EssTripped, IncomingEvent, IncomingEventType, IncomingPayloads, MarketTick, OrderExecuted, TradeClosed, TradeOpened } from "../EventsIn.js"
import { MAX_ID_LENGTH, MAX_MAGNITUDE, MAX_SYMBOL_LENGTH, MAX_TEXT_LENGTH, parseEventTime } from "../Primitives.js"

/** What a field reader returns for a value it does not decode: the whole payload is declined. */
const NO: unique symbol = Symbol("decline")
type NO = typeof NO

/** The fields of every incoming payload, as they may arrive. */
interface RawPayload {
  readonly symbol?: unknown
  readonly price?: unknown
  readonly mark_price?: unknown
  readonly timestamp?: unknown
  readonly bid?: unknown
  readonly ask?: unknown
  readonly volume?: unknown
  readonly trade_id?: unknown
  readonly side?: unknown
  readonly entry_price?: unknown
  readonly exit_price?: unknown
  readonly quantity?: unknown
  readonly leverage?: unknown
  readonly order_id?: unknown
  readonly stop_loss?: unknown
  readonly take_profit?: unknown
  readonly fees?: unknown
  readonly category?: unknown
  readonly strategy?: unknown
  readonly confidence?: unknown
  readonly model?: unknown
  readonly realized_pnl?: unknown
  readonly close_id?: unknown
  readonly pnl_pct?: unknown
  readonly duration_sec?: unknown
  readonly close_reason?: unknown
  readonly reason?: unknown
  readonly fill_id?: unknown
  readonly position_side?: unknown
  readonly fee?: unknown
  readonly fee_asset?: unknown
  readonly reduce_only?: unknown
  readonly status?: unknown
  readonly order_type?: unknown
  readonly severity?: unknown
  readonly triggered_by?: unknown
  readonly drawdown_pct?: unknown
  readonly pnl_usd?: unknown
  readonly pnl_percent?: unknown
}

// ---------------------------------------------------------------------------------------------
// Field readers, one per building block of Primitives.ts. Each returns the decoded value or NO.
// ---------------------------------------------------------------------------------------------

/**
 * `FiniteNumber`: a number, or a string `Number()` reads (not blank: `Number("")` is 0, the
 * schema's `NumberFromString` refuses it), finite and of magnitude at most 10¹⁸.
 */
const finite = (v: unknown): number | NO => {
  let n: number
  if (typeof v === "number") n = v
  else if (typeof v === "string") {
    n = Number(v)
    if (n === 0 && v.trim() === "") return NO
  } else return NO
  return n >= -MAX_MAGNITUDE && n <= MAX_MAGNITUDE ? n : NO // NaN and ±Infinity fail both
}

/** `Price`, `Quantity`, `Leverage`: a finite number greater than zero. */
const positive = (v: unknown): number | NO => {
  const n = finite(v)
  return n !== NO && n > 0 ? n : NO
}

/** `NonNegative`: a finite number, zero or more (−0 included, as `>= 0` says). */
const nonNegative = (v: unknown): number | NO => {
  const n = finite(v)
  return n !== NO && n >= 0 ? n : NO
}

const nullOrFinite = (v: unknown): number | null | NO => (v === null ? null : finite(v))

/** `EventTime`: what `parseEventTime` reads, the very function the schema calls. */
const eventTime = (v: unknown): number | NO => {
  if (typeof v !== "string" && typeof v !== "number") return NO
  const ms = parseEventTime(v)
  return ms === undefined ? NO : ms
}

/** `Id`: a string, trimmed, not empty, at most 128 characters. */
const id = (v: unknown): string | NO => {
  if (typeof v !== "string") return NO
  const trimmed = v.trim()
  return trimmed.length > 0 && trimmed.length <= MAX_ID_LENGTH ? trimmed : NO
}

/**
 * `TradingSymbol`: 1 to 32 characters of `A-Z a-z 0-9 . _ -`, upper-cased. A symbol with spaces
 * to trim is left to the schema.
 */
const tradingSymbol = (v: unknown): string | NO => {
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_SYMBOL_LENGTH) return NO
  let lower = false
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i)
    if (c >= 0x61 && c <= 0x7a) lower = true // a-z
    else if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x5f || c === 0x2d)) return NO // A-Z 0-9 . _ -
  }
  return lower ? v.toUpperCase() : v
}

/** `TradeSide`: LONG/SHORT/BUY/SELL as sent (upper or lower case) to a position side. */
const tradeSide = (v: unknown): "LONG" | "SHORT" | NO => {
  switch (v) {
    case "LONG":
    case "BUY":
    case "long":
    case "buy":
      return "LONG"
    case "SHORT":
    case "SELL":
    case "short":
    case "sell":
      return "SHORT"
    default:
      return NO
  }
}

/** `FillSide`: BUY/SELL as sent (upper or lower case). */
const fillSide = (v: unknown): "BUY" | "SELL" | NO => {
  switch (v) {
    case "BUY":
    case "buy":
      return "BUY"
    case "SELL":
    case "sell":
      return "SELL"
    default:
      return NO
  }
}

/** `IdString`: a string of at most 128 characters, as sent. */
const idString = (v: unknown): string | NO => (typeof v === "string" && v.length <= MAX_ID_LENGTH ? v : NO)
/** `Text`: a string of at most 1 024 characters, as sent. */
const text = (v: unknown): string | NO => (typeof v === "string" && v.length <= MAX_TEXT_LENGTH ? v : NO)
const nullOrText = (v: unknown): string | null | NO => (v === null ? null : text(v))
const boolean = (v: unknown): boolean | NO => (typeof v === "boolean" ? v : NO)

const category = (v: unknown): TradeOpened["category"] | NO =>
  v === "CORE" || v === "EXPANSION" || v === "MONITORING" || v === "TOXIC" ? v : NO

const positionSide = (v: unknown): OrderExecuted["position_side"] | NO =>
  v === "LONG" || v === "SHORT" || v === "BOTH" ? v : NO

/** `fill_id`: an `IdString` or a finite number (no magnitude bound, no numeric strings). */
const fillId = (v: unknown): string | number | NO =>
  (typeof v === "string" && v.length <= MAX_ID_LENGTH) || (typeof v === "number" && Number.isFinite(v)) ? v : NO

// ---------------------------------------------------------------------------------------------
// Payload decoders. Fields in the schema's order, as the schema builds its output.
// ---------------------------------------------------------------------------------------------

type Out = Record<string, unknown>

/** `market.tick`. */
const marketTick = (p: RawPayload): MarketTick | undefined => {
  const symbol = tradingSymbol(p.symbol)
  const price = positive(p.price)
  if (symbol === NO || price === NO) return undefined
  const out: Out = { symbol, price }
  let v: unknown
  let d: unknown
  if ((v = p.mark_price) !== undefined) { if ((d = positive(v)) === NO) return undefined; out["mark_price"] = d }
  if ((v = p.timestamp) !== undefined) { if ((d = eventTime(v)) === NO) return undefined; out["timestamp"] = d }
  if ((v = p.bid) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["bid"] = d }
  if ((v = p.ask) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["ask"] = d }
  if ((v = p.volume) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["volume"] = d }
  return out as MarketTick
}

/** `trade.opened`. */
const tradeOpened = (p: RawPayload): TradeOpened | undefined => {
  const trade_id = id(p.trade_id)
  const symbol = tradingSymbol(p.symbol)
  const side = tradeSide(p.side)
  const entry_price = positive(p.entry_price)
  const quantity = positive(p.quantity)
  if (trade_id === NO || symbol === NO || side === NO || entry_price === NO || quantity === NO) return undefined
  let leverage: unknown = 1
  if (p.leverage !== undefined && (leverage = positive(p.leverage)) === NO) return undefined
  const out: Out = { trade_id, symbol, side, entry_price, quantity, leverage }
  let v: unknown
  let d: unknown
  if ((v = p.timestamp) !== undefined) { if ((d = eventTime(v)) === NO) return undefined; out["timestamp"] = d }
  if ((v = p.order_id) !== undefined) { if ((d = idString(v)) === NO) return undefined; out["order_id"] = d }
  if ((v = p.stop_loss) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["stop_loss"] = d }
  if ((v = p.take_profit) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["take_profit"] = d }
  if ((v = p.fees) !== undefined) { if ((d = nonNegative(v)) === NO) return undefined; out["fees"] = d }
  if ((v = p.category) !== undefined) { if ((d = category(v)) === NO) return undefined; out["category"] = d }
  if ((v = p.strategy) !== undefined) { if ((d = text(v)) === NO) return undefined; out["strategy"] = d }
  if ((v = p.confidence) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["confidence"] = d }
  if ((v = p.model) !== undefined) { if ((d = nullOrText(v)) === NO) return undefined; out["model"] = d }
  return out as TradeOpened
}

/** `trade.closed`: `trade_id`, or else `symbol` and `side`. */
const tradeClosed = (p: RawPayload): TradeClosed | undefined => {
  const out: Out = {}
  let v: unknown
  let d: unknown
  if ((v = p.trade_id) !== undefined) { if ((d = id(v)) === NO) return undefined; out["trade_id"] = d }
  if ((v = p.symbol) !== undefined) { if ((d = tradingSymbol(v)) === NO) return undefined; out["symbol"] = d }
  else if (p.trade_id === undefined) return undefined
  if ((v = p.side) !== undefined) { if ((d = tradeSide(v)) === NO) return undefined; out["side"] = d }
  else if (p.trade_id === undefined) return undefined
  if ((d = positive(p.exit_price)) === NO) return undefined
  out["exit_price"] = d
  if ((v = p.quantity) !== undefined) { if ((d = positive(v)) === NO) return undefined; out["quantity"] = d }
  if ((v = p.realized_pnl) !== undefined) { if ((d = finite(v)) === NO) return undefined; out["realized_pnl"] = d }
  if ((v = p.fees) !== undefined) { if ((d = nonNegative(v)) === NO) return undefined; out["fees"] = d }
  if ((v = p.entry_price) !== undefined) { if ((d = positive(v)) === NO) return undefined; out["entry_price"] = d }
  if ((v = p.timestamp) !== undefined) { if ((d = eventTime(v)) === NO) return undefined; out["timestamp"] = d }
  if ((v = p.order_id) !== undefined) { if ((d = idString(v)) === NO) return undefined; out["order_id"] = d }
  if ((v = p.close_id) !== undefined) { if ((d = idString(v)) === NO) return undefined; out["close_id"] = d }
  if ((v = p.pnl_pct) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["pnl_pct"] = d }
  if ((v = p.duration_sec) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["duration_sec"] = d }
  if ((v = p.close_reason) !== undefined) { if ((d = nullOrText(v)) === NO) return undefined; out["close_reason"] = d }
  if ((v = p.reason) !== undefined) { if ((d = nullOrText(v)) === NO) return undefined; out["reason"] = d }
  // `null` (Python's None) is an absent value here.
  if ((v = p.pnl_usd) !== undefined && v !== null) { if ((d = finite(v)) === NO) return undefined; out["pnl_usd"] = d }
  if ((v = p.pnl_percent) !== undefined && v !== null) { if ((d = finite(v)) === NO) return undefined; out["pnl_percent"] = d }
  return out as TradeClosed
}

/** `order.executed`. */
const orderExecuted = (p: RawPayload): OrderExecuted | undefined => {
  const order_id = id(p.order_id)
  const symbol = tradingSymbol(p.symbol)
  const side = fillSide(p.side)
  const quantity = positive(p.quantity)
  const price = positive(p.price)
  if (order_id === NO || symbol === NO || side === NO || quantity === NO || price === NO) return undefined
  const out: Out = { order_id, symbol, side, quantity, price }
  let v: unknown
  let d: unknown
  if ((v = p.fill_id) !== undefined) { if ((d = fillId(v)) === NO) return undefined; out["fill_id"] = d }
  if ((v = p.trade_id) !== undefined) { if ((d = idString(v)) === NO) return undefined; out["trade_id"] = d }
  if ((v = p.position_side) !== undefined) { if ((d = positionSide(v)) === NO) return undefined; out["position_side"] = d }
  if ((v = p.fee) !== undefined) { if ((d = nonNegative(v)) === NO) return undefined; out["fee"] = d }
  if ((v = p.fee_asset) !== undefined) { if ((d = nullOrText(v)) === NO) return undefined; out["fee_asset"] = d }
  if ((v = p.leverage) !== undefined) { if ((d = positive(v)) === NO) return undefined; out["leverage"] = d }
  if ((v = p.reduce_only) !== undefined) { if ((d = boolean(v)) === NO) return undefined; out["reduce_only"] = d }
  if ((v = p.status) !== undefined) { if ((d = text(v)) === NO) return undefined; out["status"] = d }
  if ((v = p.order_type) !== undefined) { if ((d = text(v)) === NO) return undefined; out["order_type"] = d }
  if ((v = p.timestamp) !== undefined) { if ((d = eventTime(v)) === NO) return undefined; out["timestamp"] = d }
  return out as OrderExecuted
}

/** `ess.tripped`. */
const essTripped = (p: RawPayload): EssTripped | undefined => {
  let reason: unknown = "unspecified"
  if (p.reason !== undefined && (reason = text(p.reason)) === NO) return undefined
  const out: Out = { reason }
  let v: unknown
  let d: unknown
  if ((v = p.timestamp) !== undefined) { if ((d = eventTime(v)) === NO) return undefined; out["timestamp"] = d }
  if ((v = p.severity) !== undefined) { if ((d = nullOrText(v)) === NO) return undefined; out["severity"] = d }
  if ((v = p.triggered_by) !== undefined) { if ((d = nullOrText(v)) === NO) return undefined; out["triggered_by"] = d }
  if ((v = p.drawdown_pct) !== undefined) { if ((d = nullOrFinite(v)) === NO) return undefined; out["drawdown_pct"] = d }
  return out as EssTripped
}

/** The decoded payload of an incoming event type. */
export type Payload<T extends IncomingEventType> = (typeof IncomingPayloads)[T]["Type"]

/**
 * The fast decoder of each incoming event type: the decoded payload, or `undefined` when the
 * payload is not one it decodes (then decode with the schema).
 */
export const fastPayload: { readonly [T in IncomingEventType]: (payload: object) => Payload<T> | undefined } = {
  "trade.opened": tradeOpened,
  "trade.closed": tradeClosed,
  "order.executed": orderExecuted,
  "ess.tripped": essTripped,
  "market.tick": marketTick
}

/** The fast decoder of an event type, `undefined` when the type is not an incoming one. */
export const fastPayloadOf = (type: string): ((payload: object) => IncomingEvent["payload"] | undefined) | undefined => {
  switch (type) {
    case "market.tick":
      return marketTick
    case "trade.opened":
      return tradeOpened
    case "trade.closed":
      return tradeClosed
    case "order.executed":
      return orderExecuted
    case "ess.tripped":
      return essTripped
    default:
      return undefined
  }
}
