/**
 * Building blocks shared by every wire schema: numbers that must be finite, prices and
 * quantities that must be positive, sides, and the event time that accepts what the Python
 * services write (`datetime.utcnow().isoformat()`, ISO 8601 without a zone, meaning UTC).
 *
 * @since 0.1.0
 */
import { ParseResult, Schema } from "effect"
import { quote } from "./internal/quote.js"

/**
 * The largest magnitude accepted for any number in an event: 10¹⁸, far beyond any price,
 * quantity or amount an exchange reports. Bounding inputs is what keeps every output finite:
 * a price of 1e308 is finite, yet its exposure `size × price` is not.
 */
export const MAX_MAGNITUDE = 1e18

/**
 * A JSON number, or a numeric string (Python services that serialise `Decimal` send strings),
 * that is finite and at most {@link MAX_MAGNITUDE} in magnitude: `NaN` and `Infinity` are
 * rejected.
 */
export const FiniteNumber = Schema.Union(
  Schema.Number,
  Schema.NumberFromString
).pipe(
  Schema.finite({ message: () => "must be a finite number" }),
  Schema.between(-MAX_MAGNITUDE, MAX_MAGNITUDE, { message: () => `must be a number of magnitude at most ${MAX_MAGNITUDE}` }),
  Schema.annotations({ identifier: "FiniteNumber", jsonSchema: { type: "number", minimum: -MAX_MAGNITUDE, maximum: MAX_MAGNITUDE } })
)

/** A finite number greater than zero: prices. */
export const Price = FiniteNumber.pipe(
  Schema.positive({ message: () => "must be a positive price" }),
  Schema.annotations({ identifier: "Price", jsonSchema: { type: "number", exclusiveMinimum: 0, maximum: MAX_MAGNITUDE } })
)

/** A finite number greater than zero: quantities of a fill, a trade or a close. */
export const Quantity = FiniteNumber.pipe(
  Schema.positive({ message: () => "must be a positive quantity" }),
  Schema.annotations({ identifier: "Quantity", jsonSchema: { type: "number", exclusiveMinimum: 0, maximum: MAX_MAGNITUDE } })
)

/** A finite number greater than or equal to zero: fees. */
export const NonNegative = FiniteNumber.pipe(
  Schema.nonNegative({ message: () => "must be zero or more" }),
  Schema.annotations({ identifier: "NonNegative", jsonSchema: { type: "number", minimum: 0, maximum: MAX_MAGNITUDE } })
)

/** Leverage multiplier: at least 1 is usual, anything positive is accepted. */
export const Leverage = FiniteNumber.pipe(
  Schema.positive({ message: () => "must be a positive leverage" }),
  Schema.annotations({ identifier: "Leverage", jsonSchema: { type: "number", exclusiveMinimum: 0, maximum: MAX_MAGNITUDE } })
)

/** The longest accepted symbol: exchange symbols are short (`1000PEPEUSDT`). */
export const MAX_SYMBOL_LENGTH = 32
/** The longest accepted identifier: `trade_id`, `order_id`, `close_id`, `fill_id`, `trace_id`, `correlation_id`, `Idempotency-Key`. */
export const MAX_ID_LENGTH = 128
/** The longest accepted free text: `reason`, `close_reason`, `source`, `strategy`, … */
export const MAX_TEXT_LENGTH = 1_024

const atMost = (max: number) => (issue: ParseResult.ParseIssue) =>
  `must be at most ${max} characters, got ${typeof issue.actual === "string" ? issue.actual.length : "more"}`

/** A non-empty identifier, trimmed, of at most {@link MAX_ID_LENGTH} characters (`trade_id`, fills' `order_id`). */
export const Id = Schema.Trim.pipe(
  Schema.nonEmptyString({ message: () => "must be a non-empty string" }),
  Schema.maxLength(MAX_ID_LENGTH, { message: atMost(MAX_ID_LENGTH) }),
  Schema.annotations({ identifier: "Id", jsonSchema: { type: "string", minLength: 1, maxLength: MAX_ID_LENGTH } })
)

/**
 * An optional identifier as sent — any string, not trimmed, at most {@link MAX_ID_LENGTH}
 * characters (`order_id` and `close_id` of a close, `trade_id` of a fill, `trace_id`, …).
 */
export const IdString = Schema.String.pipe(
  Schema.maxLength(MAX_ID_LENGTH, { message: atMost(MAX_ID_LENGTH) }),
  Schema.annotations({ identifier: "IdString", jsonSchema: { type: "string", maxLength: MAX_ID_LENGTH } })
)

/** Free text (`reason`, `source`, `strategy`, …): any string of at most {@link MAX_TEXT_LENGTH} characters. */
export const Text = Schema.String.pipe(
  Schema.maxLength(MAX_TEXT_LENGTH, { message: atMost(MAX_TEXT_LENGTH) }),
  Schema.annotations({ identifier: "Text", jsonSchema: { type: "string", maxLength: MAX_TEXT_LENGTH } })
)

/**
 * A trading symbol such as `BTCUSDT`: trimmed, 1 to {@link MAX_SYMBOL_LENGTH} characters of
 * `A-Z a-z 0-9 . _ -`, upper-cased on decode.
 */
export const TradingSymbol = Schema.Trim.pipe(
  Schema.nonEmptyString({ message: () => "must be a non-empty symbol" }),
  Schema.maxLength(MAX_SYMBOL_LENGTH, { message: atMost(MAX_SYMBOL_LENGTH) }),
  Schema.pattern(/^[A-Za-z0-9._-]*$/, { message: () => "must contain only A-Z, a-z, 0-9, '.', '_' and '-'" }),
  // The decoded symbol is upper-case: say so on the type side too, so values built from the
  // type (`Arbitrary.make`, encoding) are symbols that decode again.
  Schema.compose(Schema.Uppercase.pipe(Schema.pattern(/^[A-Z0-9._-]{1,32}$/)), { strict: false }),
  Schema.annotations({
    identifier: "TradingSymbol",
    jsonSchema: { type: "string", minLength: 1, maxLength: MAX_SYMBOL_LENGTH, pattern: "^[A-Za-z0-9._-]+$", examples: ["BTCUSDT"] }
  })
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
      ? ParseResult.fail(new ParseResult.Type(ast, raw, `must be LONG, SHORT, BUY or SELL, got ${quote(raw)}`))
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
      : ParseResult.fail(new ParseResult.Type(ast, raw, `must be BUY or SELL, got ${quote(raw)}`))
  },
  encode: (side) => ParseResult.succeed(side)
}).annotations({ identifier: "FillSide", jsonSchema: { type: "string", enum: ["BUY", "SELL"] } })

const ZONE_SUFFIX = /(?:Z|[+-]\d{2}:?\d{2})$/i
const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i

/** The earliest event time a four-digit ISO 8601 year can say: 0000-01-01T00:00:00Z. */
export const MIN_EVENT_TIME = -62_167_219_200_000
/** The latest event time a four-digit ISO 8601 year can say: 9999-12-31T23:59:59.999Z. */
export const MAX_EVENT_TIME = 253_402_300_799_999

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

/** Whether year-month-day names a real date (no 30 February) and the hour is 0–23. */
const isCalendarDate = (year: number, month: number, day: number, hour: number): boolean =>
  month >= 1 &&
  month <= 12 &&
  day >= 1 &&
  day <= DAYS_IN_MONTH[month - 1]! + (month === 2 && isLeapYear(year) ? 1 : 0) &&
  hour <= 23

/**
 * Parses an event time into epoch milliseconds (UTC). Accepts ISO 8601 with `Z` or an offset,
 * ISO 8601 without a zone (read as UTC, the form Python's `datetime.utcnow().isoformat()`
 * writes, microseconds included), and epoch milliseconds as a number from 0 to
 * {@link MAX_EVENT_TIME}. Digits finer than a millisecond are dropped. Returns `undefined` for
 * anything else, including dates that do not exist (`2025-02-30`).
 *
 * @example
 * parseEventTime("2025-01-02T03:04:05.123456") // 1735787045123
 */
export const parseEventTime = (input: string | number): number | undefined => {
  if (typeof input === "number") {
    return Number.isFinite(input) && input >= 0 && input <= MAX_EVENT_TIME ? Math.trunc(input) : undefined
  }
  return parseCommonIsoTime(input) ?? parseAnyIsoTime(input)
}

const DAY_MS = 86_400_000

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  return era * 146_097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719_468
}

/** The digit at `text[i]`, or NaN (which fails every comparison after) when it is not one. */
const digit = (text: string, i: number): number => {
  const d = text.charCodeAt(i) - 48
  return d >= 0 && d <= 9 ? d : Number.NaN
}

/**
 * The forms every producer writes — `YYYY-MM-DDTHH:MM:SS`, an optional fraction, an optional
 * `Z` — read by arithmetic, without a regular expression or `Date.parse`. Anything else (offsets,
 * spaces, dates alone, out-of-range fields) is left to {@link parseAnyIsoTime}, which gives the
 * same answer for these forms, only slower.
 */
const parseCommonIsoTime = (text: string): number | undefined => {
  const length = text.length
  if (
    length < 19 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 ||
    text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58 // - - T : :
  ) return undefined
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3)
  const month = digit(text, 5) * 10 + digit(text, 6)
  const day = digit(text, 8) * 10 + digit(text, 9)
  const hour = digit(text, 11) * 10 + digit(text, 12)
  const minute = digit(text, 14) * 10 + digit(text, 15)
  const second = digit(text, 17) * 10 + digit(text, 18)
  if (!(year >= 0 && hour >= 0 && minute <= 59 && second <= 59 && isCalendarDate(year, month, day, hour))) return undefined
  let millis = 0
  const last = text.charCodeAt(length - 1)
  const end = last === 90 || last === 122 ? length - 1 : length // Z or z
  if (end > 19) {
    // A fraction: a dot and at least one digit; digits finer than a millisecond are dropped.
    if (text.charCodeAt(19) !== 46 || end === 20) return undefined
    for (let i = 20; i < end; i++) {
      const d = text.charCodeAt(i) - 48
      if (d < 0 || d > 9) return undefined
      if (i < 23) millis = millis * 10 + d
    }
    if (end < 23) millis *= end === 21 ? 100 : 10
  }
  return daysFromCivil(year, month, day) * DAY_MS + hour * 3_600_000 + minute * 60_000 + second * 1_000 + millis
}

/** Every accepted ISO 8601 form, with `Date.parse` doing the calendar arithmetic. */
const parseAnyIsoTime = (input: string): number | undefined => {
  const text = input.trim()
  const parts = ISO_LIKE.exec(text)
  if (parts === null) return undefined
  if (!isCalendarDate(Number(parts[1]), Number(parts[2]), Number(parts[3]), parts[4] === undefined ? 0 : Number(parts[4]))) {
    return undefined
  }
  // JavaScript's Date keeps milliseconds only; trim longer fractions, then read zone-less as UTC.
  let normalized = text.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1")
  if (!ZONE_SUFFIX.test(normalized)) normalized += normalized.length === 10 ? "T00:00:00Z" : "Z"
  const ms = Date.parse(normalized)
  return Number.isFinite(ms) && ms >= MIN_EVENT_TIME && ms <= MAX_EVENT_TIME ? ms : undefined
}

/** Formats epoch milliseconds as the `Z`-suffixed ISO 8601 string we write. */
export const formatEventTime = (ms: number): string => new Date(ms).toISOString()

/**
 * An event time on the wire (ISO 8601 string, zone optional, or epoch milliseconds), decoded to
 * epoch milliseconds and encoded as `Z`-suffixed ISO 8601.
 */
export const EventTime = Schema.transformOrFail(
  Schema.Union(Schema.String, Schema.Number),
  // Whole milliseconds within four-digit years: every such value formats to ISO and back.
  Schema.Int.pipe(Schema.between(MIN_EVENT_TIME, MAX_EVENT_TIME)),
  {
    strict: true,
    decode: (raw, _, ast) => {
      const ms = parseEventTime(raw)
      return ms === undefined
        ? ParseResult.fail(new ParseResult.Type(ast, raw, `must be an ISO 8601 time or epoch milliseconds, got ${typeof raw === "string" ? quote(raw) : String(raw)}`))
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
