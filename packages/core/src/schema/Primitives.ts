/**
 * Building blocks shared by every wire schema: numbers that must be finite, prices and
 * quantities that must be positive, sides, and the event time that accepts what the Python
 * services write (`datetime.utcnow().isoformat()`, ISO 8601 without a zone, meaning UTC).
 *
 * @since 0.1.0
 */
import { ParseResult, Schema } from "effect"

/**
 * A JSON number, or a numeric string (Python services that serialise `Decimal` send strings),
 * that is finite: `NaN` and `Infinity` are rejected.
 */
export const FiniteNumber = Schema.Union(
  Schema.Number,
  Schema.NumberFromString
).pipe(
  Schema.finite({ message: () => "must be a finite number" }),
  Schema.annotations({ identifier: "FiniteNumber", jsonSchema: { type: "number" } })
)

/** A finite number greater than zero: prices. */
export const Price = FiniteNumber.pipe(
  Schema.positive({ message: () => "must be a positive price" }),
  Schema.annotations({ identifier: "Price", jsonSchema: { type: "number", exclusiveMinimum: 0 } })
)

/** A finite number greater than zero: quantities of a fill, a trade or a close. */
export const Quantity = FiniteNumber.pipe(
  Schema.positive({ message: () => "must be a positive quantity" }),
  Schema.annotations({ identifier: "Quantity", jsonSchema: { type: "number", exclusiveMinimum: 0 } })
)

/** A finite number greater than or equal to zero: fees. */
export const NonNegative = FiniteNumber.pipe(
  Schema.nonNegative({ message: () => "must be zero or more" }),
  Schema.annotations({ identifier: "NonNegative", jsonSchema: { type: "number", minimum: 0 } })
)

/** Leverage multiplier: at least 1 is usual, anything positive is accepted. */
export const Leverage = FiniteNumber.pipe(
  Schema.positive({ message: () => "must be a positive leverage" }),
  Schema.annotations({ identifier: "Leverage", jsonSchema: { type: "number", exclusiveMinimum: 0 } })
)

/** A non-empty identifier or symbol, trimmed. */
export const Id = Schema.Trim.pipe(
  Schema.nonEmptyString({ message: () => "must be a non-empty string" }),
  Schema.annotations({ identifier: "Id", jsonSchema: { type: "string", minLength: 1 } })
)

/** A trading symbol such as `BTCUSDT`, upper-cased on decode. */
export const TradingSymbol = Schema.Trim.pipe(
  Schema.nonEmptyString({ message: () => "must be a non-empty symbol" }),
  Schema.compose(Schema.Uppercase, { strict: false }),
  Schema.annotations({ identifier: "TradingSymbol", jsonSchema: { type: "string", minLength: 1, examples: ["BTCUSDT"] } })
)

/** The side of a position: what the snapshot reports. */
export const PositionSide = Schema.Literal("LONG", "SHORT").annotations({ identifier: "PositionSide" })
/** @since 0.1.0 */
export type PositionSide = typeof PositionSide.Type

/** The side of an order fill. */
export const OrderSide = Schema.Literal("BUY", "SELL").annotations({ identifier: "OrderSide" })
/** @since 0.1.0 */
export type OrderSide = typeof OrderSide.Type

const sideOf = (raw: string): PositionSide | undefined => {
  switch (raw.trim().toUpperCase()) {
    case "LONG":
    case "BUY":
      return "LONG"
    case "SHORT":
    case "SELL":
      return "SHORT"
    default:
      return undefined
  }
}

/**
 * The side of a trade as the execution service sends it: `LONG`/`SHORT` or `BUY`/`SELL` (any
 * case). `BUY` opens LONG, `SELL` opens SHORT; anything else is rejected. Decodes to a
 * {@link PositionSide}.
 */
export const TradeSide = Schema.transformOrFail(Schema.String, PositionSide, {
  strict: true,
  decode: (raw, _, ast) => {
    const side = sideOf(raw)
    return side === undefined
      ? ParseResult.fail(new ParseResult.Type(ast, raw, `must be LONG, SHORT, BUY or SELL, got ${JSON.stringify(raw)}`))
      : ParseResult.succeed(side)
  },
  encode: (side) => ParseResult.succeed(side)
}).annotations({ identifier: "TradeSide", jsonSchema: { type: "string", enum: ["LONG", "SHORT", "BUY", "SELL"] } })

/**
 * An order side (`BUY`/`SELL`, any case).
 */
export const FillSide = Schema.transformOrFail(Schema.String, OrderSide, {
  strict: true,
  decode: (raw, _, ast) => {
    const up = raw.trim().toUpperCase()
    return up === "BUY" || up === "SELL"
      ? ParseResult.succeed(up)
      : ParseResult.fail(new ParseResult.Type(ast, raw, `must be BUY or SELL, got ${JSON.stringify(raw)}`))
  },
  encode: (side) => ParseResult.succeed(side)
}).annotations({ identifier: "FillSide", jsonSchema: { type: "string", enum: ["BUY", "SELL"] } })

const ZONE_SUFFIX = /(?:Z|[+-]\d{2}:?\d{2})$/i
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i

/**
 * Parses an event time into epoch milliseconds (UTC). Accepts ISO 8601 with `Z` or an offset,
 * ISO 8601 without a zone (read as UTC, the form Python's `datetime.utcnow().isoformat()`
 * writes, microseconds included), and epoch milliseconds as a number. Returns `undefined` for
 * anything else.
 *
 * @example
 * parseEventTime("2025-01-02T03:04:05.123456") // 1735787045123
 */
export const parseEventTime = (input: string | number): number | undefined => {
  if (typeof input === "number") {
    return Number.isFinite(input) && input >= 0 ? input : undefined
  }
  const text = input.trim()
  if (!ISO_LIKE.test(text)) return undefined
  // JavaScript's Date keeps milliseconds only; trim longer fractions, then read zone-less as UTC.
  let normalized = text.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1")
  if (!ZONE_SUFFIX.test(normalized)) normalized += normalized.length === 10 ? "T00:00:00Z" : "Z"
  const ms = Date.parse(normalized)
  return Number.isFinite(ms) ? ms : undefined
}

/** Formats epoch milliseconds as the `Z`-suffixed ISO 8601 string we write. */
export const formatEventTime = (ms: number): string => new Date(ms).toISOString()

/**
 * An event time on the wire (ISO 8601 string, zone optional, or epoch milliseconds), decoded to
 * epoch milliseconds and encoded as `Z`-suffixed ISO 8601.
 */
export const EventTime = Schema.transformOrFail(
  Schema.Union(Schema.String, Schema.Number),
  Schema.Number,
  {
    strict: true,
    decode: (raw, _, ast) => {
      const ms = parseEventTime(raw)
      return ms === undefined
        ? ParseResult.fail(new ParseResult.Type(ast, raw, `must be an ISO 8601 time or epoch milliseconds, got ${JSON.stringify(raw)}`))
        : ParseResult.succeed(ms)
    },
    encode: (ms) => ParseResult.succeed(formatEventTime(ms))
  }
).annotations({ identifier: "EventTime", jsonSchema: { type: "string", format: "date-time" } })

/** An ISO 8601 UTC time string in a response. */
export const IsoTime = Schema.String.annotations({
  identifier: "IsoTime",
  jsonSchema: { type: "string", format: "date-time" }
})

/** The symbol categories of the original service. */
export const SymbolCategory = Schema.Literal("CORE", "EXPANSION", "MONITORING", "TOXIC").annotations({
  identifier: "SymbolCategory"
})
/** @since 0.1.0 */
export type SymbolCategory = typeof SymbolCategory.Type
