/**
 * `decodeEnvelope` takes a hand-written fast path for well-formed events; these properties hold
 * it to the schemas: it never accepts what the schema rejects and gives the very value the
 * schema gives (same fields, same order, −0 apart from 0). The oracles are independent: the
 * schemas themselves, a schema-only `decodeEnvelope` written here (flat entries read by probing
 * the schemas for which fields take `null` or booleans; nesting measured by recursion after
 * parsing), and the previous regex and `Date.parse` reading of event times.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, ParseResult, Schema } from "effect"
import { decodeEnvelope, type DecodeOptions, EnvelopeInput, type EventIssue, type InvalidEvent, MAX_PAYLOAD_DEPTH } from "../src/schema/Envelope.js"
import { IncomingPayloads, type IncomingEvent, type IncomingEventType } from "../src/schema/EventsIn.js"
import { fastPayload } from "../src/schema/internal/fastPath.js"
import { flatPayload } from "../src/schema/internal/flat.js"
import { MAX_EVENT_TIME, MIN_EVENT_TIME, parseEventTime } from "../src/schema/Primitives.js"
import { pythonTime } from "./arbitraries.js"

const types = Object.keys(IncomingPayloads) as Array<IncomingEventType>
const RUNS = 500

/** The fields a payload schema names (`trade.closed` is a struct under a filter). */
const fieldsOf = (type: IncomingEventType): ReadonlyArray<string> => {
  const schema = IncomingPayloads[type] as unknown as { readonly fields?: object; readonly from?: { readonly fields: object } }
  return Object.keys(schema.fields ?? schema.from!.fields)
}

// ---------------------------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------------------------

/** The previous `parseEventTime` for strings: a regular expression, then `Date.parse`. */
const referenceEventTime = (input: string): number | undefined => {
  const ZONE_SUFFIX = /(?:Z|[+-]\d{2}:?\d{2})$/i
  const ISO_LIKE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i
  const text = input.trim()
  const parts = ISO_LIKE.exec(text)
  if (parts === null) return undefined
  const [year, month, day, hour] = [Number(parts[1]), Number(parts[2]), Number(parts[3]), parts[4] === undefined ? 0 : Number(parts[4])]
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
  if (days === undefined || day < 1 || day > days || hour > 23) return undefined
  let normalized = text.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1")
  if (!ZONE_SUFFIX.test(normalized)) normalized += normalized.length === 10 ? "T00:00:00Z" : "Z"
  const ms = Date.parse(normalized)
  return Number.isFinite(ms) && ms >= MIN_EVENT_TIME && ms <= MAX_EVENT_TIME ? ms : undefined
}

const issuesOf = (error: ParseResult.ParseError, prefix: string): ReadonlyArray<EventIssue> => {
  const all = ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== "").join("."),
    message: issue.message
  }))
  const undefinedHalf = (i: EventIssue) => i.message.startsWith("Expected undefined, actual")
  const some = all.filter((i) => !undefinedHalf(i) || !all.some((j) => j.path === i.path && !undefinedHalf(j)))
  const vague = (i: EventIssue) => i.message.startsWith("Expected ")
  return some.filter((i) => !vague(i) || !some.some((j) => j.path === i.path && !vague(j)))
}

type Outcome = { readonly ok: IncomingEvent } | { readonly rejected: { eventType: string; reason: string; issues: ReadonlyArray<EventIssue> } }

const bySchemaOf = (type: IncomingEventType) =>
  Schema.decodeUnknownEither(IncomingPayloads[type] as Schema.Schema<any, any, never>, { errors: "all", onExcessProperty: "ignore" })

/** Whether `type`'s schema takes `value` in `field`: decoding `{ field: value }` finds no fault there. */
const probed = new Map<string, boolean>()
const takes = (type: IncomingEventType, field: string, value: unknown): boolean => {
  const key = `${type}\u0000${field}\u0000${JSON.stringify(value)}`
  let answer = probed.get(key)
  if (answer === undefined) {
    const result = bySchemaOf(type)({ [field]: value })
    answer = Either.isRight(result) || !issuesOf(result.left, "").some((i) => i.path === field || i.path.startsWith(`${field}.`))
    probed.set(key, answer)
  }
  return answer
}

/** How deep a value nests arrays and objects (itself level 1), by recursion. */
const depthOf = (value: unknown): number =>
  typeof value !== "object" || value === null ? 0 : 1 + Math.max(0, ...Object.values(value).map(depthOf))

/** The payload of a flat entry, as DESIGN.md §5 and Python's `str()` say, learnt from the schemas. */
const referenceFlatPayload = (type: IncomingEventType, entry: object): Record<string, unknown> => {
  const payload: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(entry)) {
    if (["event_type", "trace_id", "correlation_id", "source", "payload", "__proto__"].includes(field) || value === undefined) continue
    if (value === "None") {
      if (takes(type, field, null)) payload[field] = null
    } else if (field === "timestamp" && value === "") {
      // absent, as an empty envelope timestamp
    } else if (["True", "true", "False", "false"].includes(value as string) && takes(type, field, true) && !takes(type, field, "True")) {
      payload[field] = value === "True" || value === "true"
    } else payload[field] = value
  }
  return payload
}

/** A schema-only `decodeEnvelope`, built on every call. */
const referenceDecode = (raw: unknown, options: DecodeOptions = {}): Outcome => {
  const fail = (eventType: string, issues: ReadonlyArray<EventIssue>): Outcome => ({
    rejected: { eventType, reason: issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; "), issues }
  })
  const claimed = typeof raw === "object" && raw !== null && typeof (raw as Record<string, unknown>)["event_type"] === "string"
    ? String((raw as Record<string, unknown>)["event_type"])
    : "unknown"
  if (typeof raw === "object" && raw !== null) {
    for (const [field, value] of Object.entries(raw)) {
      if (depthOf(value) > MAX_PAYLOAD_DEPTH) return fail(claimed, [{ path: field, message: `nested deeper than ${MAX_PAYLOAD_DEPTH} levels` }])
    }
  }
  const flat = typeof raw === "object" && raw !== null && !Array.isArray(raw) && (!Object.hasOwn(raw, "payload") || (raw as Record<string, unknown>)["payload"] === undefined)
  const envelope = flat
    ? Schema.decodeUnknownEither(EnvelopeInput.pipe(Schema.omit("payload", "timestamp")), { errors: "all" })(raw)
    : Schema.decodeUnknownEither(EnvelopeInput, { errors: "all" })(raw)
  if (Either.isLeft(envelope)) return fail(claimed, issuesOf(envelope.left, ""))
  const env = envelope.right as { event_type: string; payload?: unknown; trace_id: string; timestamp?: string; source: string; correlation_id?: string }
  const type = env.event_type
  if (options.streamType !== undefined && type !== options.streamType) {
    return fail(type, [{ path: "event_type", message: `${JSON.stringify(type)} read from the stream of ${JSON.stringify(options.streamType)}` }])
  }
  if (!Object.hasOwn(IncomingPayloads, type)) return fail(type, [{ path: "event_type", message: `unknown event type ${JSON.stringify(type)}` }])
  const key = options.idempotencyKey
  if (key !== undefined && Either.isLeft(Schema.decodeUnknownEither(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(128)))(key))) {
    return fail(type, [{ path: "Idempotency-Key", message: `must be 1 to 128 characters, got ${key.length}` }])
  }
  let payload: unknown = env.payload
  if (flat) payload = referenceFlatPayload(type as IncomingEventType, raw as object)
  else if (typeof env.payload === "string") {
    const max = options.maxPayloadChars ?? 1_000_000
    if (env.payload.length > max) return fail(type, [{ path: "payload", message: `payload of ${env.payload.length} characters exceeds ${max}` }])
    try {
      payload = JSON.parse(env.payload)
    } catch (e) {
      return fail(type, [{ path: "payload", message: `not JSON: ${(e as Error).message}` }])
    }
    if (depthOf(payload) > MAX_PAYLOAD_DEPTH) return fail(type, [{ path: "payload", message: `nested deeper than ${MAX_PAYLOAD_DEPTH} levels` }])
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) return fail(type, [{ path: "payload", message: "must be a JSON object" }])
  }
  const decoded = bySchemaOf(type as IncomingEventType)(payload)
  if (Either.isLeft(decoded)) return fail(type, issuesOf(decoded.left, flat ? "" : "payload"))
  let at: number | undefined = decoded.right.timestamp
  if (at === undefined && env.timestamp !== undefined && env.timestamp !== "") {
    at = parseEventTime(env.timestamp)
    if (at === undefined) return fail(type, [{ path: "timestamp", message: `must be an ISO 8601 time, got ${JSON.stringify(env.timestamp)}` }])
  }
  const timed = at !== undefined
  at ??= options.defaultTime
  if (at === undefined) {
    return fail(type, [flat ? { path: "timestamp", message: "is missing" } : { path: "payload.timestamp", message: "is missing, and the envelope has no timestamp" }])
  }
  return {
    ok: {
      type, payload: decoded.right, at, traceId: env.trace_id, correlationId: env.correlation_id, source: env.source, timed,
      ...(key === undefined ? {} : { idempotencyKey: key })
    } as IncomingEvent
  }
}

const outcome = (result: Either.Either<IncomingEvent, InvalidEvent>): Outcome =>
  Either.isRight(result)
    ? { ok: result.right }
    : { rejected: { eventType: result.left.eventType, reason: result.left.reason, issues: result.left.issues } }

/** Deep equality that tells −0 from 0 and undefined fields from absent ones, and field order. */
const expectSameValue = (actual: unknown, expected: unknown) => {
  expect(actual).toStrictEqual(expected)
  if (typeof actual === "object" && actual !== null) {
    expect(Object.keys(actual)).toEqual(Object.keys(expected as object))
  }
}

// ---------------------------------------------------------------------------------------------
// Arbitraries: well-formed payloads, and the ways they go wrong
// ---------------------------------------------------------------------------------------------

const T_MIN = Date.parse("1999-01-01T00:00:00Z")
const T_MAX = Date.parse("2040-12-31T23:59:59Z")
const instant = fc.integer({ min: T_MIN, max: T_MAX })

/** Event times in every form producers write, and some they should not. */
const timestamp = fc.oneof(
  instant.map(pythonTime), // datetime.utcnow().isoformat()
  instant.map((t) => new Date(t).toISOString()),
  instant.map((t) => new Date(t).toISOString().replace(".", ",")),
  instant.map((t) => new Date(t).toISOString().slice(0, 19)), // no fraction, no zone
  instant.map((t) => new Date(t).toISOString().replace("Z", "+05:30")),
  instant.map((t) => new Date(t).toISOString().replace("T", " ")),
  instant.map((t) => new Date(t).toISOString().slice(0, 10)),
  instant.map((t) => ` ${new Date(t).toISOString()} `),
  instant, // epoch milliseconds
  instant.map((t) => t + 0.5),
  fc.constantFrom<string | number>(
    "2025-02-30T00:00:00", "2024-02-29T00:00:00", "2025-03-07T24:00:00", "2025-03-07T12:60:00", "2025-03-07T12:34:60",
    "0000-01-01T00:00:00", "0099-03-01T00:00:00.5", "9999-12-31T23:59:59.999999", "2025-03-07T12:34:56.", "2025-03-07T12:34:56.Z",
    "2025-03-07t12:34:56", "2025-03-07T12:34:56zZ", "yesterday", "", -1, 1e20, MAX_EVENT_TIME + 1, Number.NaN
  )
)

const symbol = fc.oneof(
  fc.constantFrom("BTCUSDT", "ETHUSDT", "1000PEPEUSDT", "btcusdt", "EthUsdt", " BTCUSDT ", "BTC USDT", "", " ", "ßtc", "ǆ", "ﬃ", "İ", "\u00a0X", "X\ufeff", "~"),
  fc.constantFrom("BTC-PERP", "btc_usdt.p", "BTC/USDT", "BTC:USDT", "A".repeat(32), "a".repeat(32), "A".repeat(33), ` ${"A".repeat(32)} `, "None", "-", "."),
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 4 })
)

const side = fc.constantFrom("LONG", "SHORT", "BUY", "SELL", "long", "short", "buy", "sell", "Long", " BUY ", "BOTH", "HOLD", "", "ſell", "ſhort")

/** Numbers as JSON numbers or strings, in range and out of it. */
const number = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true, min: 1e-6, max: 1e7 }),
  fc.double(),
  fc.integer(),
  fc.double().map(String),
  { weight: 3, arbitrary: fc.constantFrom(
    0, -0, -1, 1e18, -1e18, 1.0000001e18, 1e308, 5e-324, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY,
    "42000.5", " 42000.50 ", "0.25", "-0.5", "0", "-0", "", " ", "\n", "NaN", "nan", "Infinity", "-Infinity", "1e999", "1e19",
    "0x10", "0b11", "1_000", "4 2", "abc", "+5", ".5", "5.",
    "42000.0", "1e-05", "1E+3", "inf", "-inf", "None", "null", "True"
  ) }
)

/** Values of the wrong type for any field. */
const junk = fc.constantFrom(null, true, false, [], [1], {}, { value: 1 }, "string", 7)

/** Strings at and past the length limits (ids 128, text 1 024), and Python's spellings. */
const lengths = fc.constantFrom(
  "x".repeat(128), "x".repeat(129), ` ${"x".repeat(128)} `, "t".repeat(1_024), "t".repeat(1_025), "None", "True", "False", "true", "false", "1", "yes", "null"
)

/** Anything a field may hold. */
const anyValue = fc.oneof(number, timestamp, symbol, side, junk, lengths, fc.string(), fc.constantFrom("CORE", "TOXIC", "MEME", "BOTH", "SHORT"))

/** Every field any payload schema names, and one none does. */
const fieldNames = [...new Set(types.flatMap(fieldsOf)), "extra_field", "__proto__x"]

/** A realistic well-formed payload of each type, as the Python services send them. */
const wellFormed: { readonly [T in IncomingEventType]: fc.Arbitrary<Record<string, unknown>> } = {
  "market.tick": fc.record(
    {
      symbol: fc.constantFrom("BTCUSDT", "ETHUSDT", "SOLUSDT", "ethusdt"),
      price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
      mark_price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
      timestamp: instant.map(pythonTime),
      bid: fc.option(fc.double({ min: 0.0001, max: 1e6, noNaN: true })),
      volume: fc.double({ min: 0, max: 1e9, noNaN: true })
    },
    { requiredKeys: ["symbol", "price"] }
  ),
  "trade.opened": fc.record(
    {
      trade_id: fc.uuid(),
      symbol: fc.constantFrom("BTCUSDT", "ETHUSDT"),
      side: fc.constantFrom("LONG", "SHORT", "BUY", "SELL", "buy", "sell"),
      entry_price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
      quantity: fc.oneof(fc.double({ min: 0.0001, max: 1e3, noNaN: true }), fc.constantFrom("0.25", "1.5")),
      leverage: fc.constantFrom(1, 5, 10, 20),
      timestamp: instant.map(pythonTime),
      stop_loss: fc.option(fc.double({ min: 1, max: 1e5, noNaN: true })),
      take_profit: fc.option(fc.double({ min: 1, max: 1e5, noNaN: true })),
      category: fc.constantFrom("CORE", "EXPANSION"),
      strategy: fc.string(),
      confidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
      model: fc.option(fc.string())
    },
    { requiredKeys: ["trade_id", "symbol", "side", "entry_price", "quantity"] }
  ),
  "trade.closed": fc.oneof(
    fc.record(
      {
        trade_id: fc.uuid(),
        symbol: fc.constantFrom("BTCUSDT", "ETHUSDT"),
        side: fc.constantFrom("LONG", "SHORT"),
        exit_price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
        quantity: fc.double({ min: 0.0001, max: 1e3, noNaN: true }),
        realized_pnl: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fees: fc.double({ min: 0, max: 100, noNaN: true }),
        timestamp: instant.map(pythonTime),
        close_id: fc.uuid(),
        pnl_pct: fc.option(fc.double({ min: -100, max: 100, noNaN: true })),
        duration_sec: fc.option(fc.integer({ min: 0, max: 1e6 })),
        reason: fc.option(fc.constantFrom("take_profit", "stop_loss"))
      },
      { requiredKeys: ["trade_id", "exit_price"] }
    ),
    // The Python executor's TradeClosedEvent: no trade_id, no quantity, numbers as strings.
    fc.record(
      {
        symbol: fc.constantFrom("BTCUSDT", "ETHUSDT", "1000PEPEUSDT"),
        side: fc.constantFrom("LONG", "SHORT", "BUY", "SELL"),
        entry_price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }).map(String),
        exit_price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }).map(String),
        pnl_percent: fc.double({ min: -100, max: 100, noNaN: true }).map(String),
        pnl_usd: fc.option(fc.double({ min: -1e6, max: 1e6, noNaN: true }).map(String)),
        order_id: fc.stringMatching(/^[0-9]{6,12}$/),
        reason: fc.constantFrom("take_profit", "stop_loss", "manual", "ess"),
        timestamp: instant.map(pythonTime)
      },
      { requiredKeys: ["symbol", "side", "exit_price", "entry_price", "pnl_percent", "order_id", "reason", "timestamp"] }
    )
  ),
  "order.executed": fc.record(
    {
      order_id: fc.uuid(),
      symbol: fc.constantFrom("BTCUSDT", "SOLUSDT"),
      side: fc.constantFrom("BUY", "SELL", "buy"),
      quantity: fc.double({ min: 0.0001, max: 1e3, noNaN: true }),
      price: fc.double({ min: 0.0001, max: 1e6, noNaN: true }),
      fill_id: fc.oneof(fc.uuid(), fc.integer()),
      position_side: fc.constantFrom("LONG", "SHORT", "BOTH"),
      fee: fc.double({ min: 0, max: 10, noNaN: true }),
      fee_asset: fc.option(fc.constantFrom("USDT", "BNB")),
      reduce_only: fc.boolean(),
      status: fc.constantFrom("FILLED", "PARTIALLY_FILLED"),
      timestamp: instant.map(pythonTime)
    },
    { requiredKeys: ["order_id", "symbol", "side", "quantity", "price"] }
  ),
  "ess.tripped": fc.record(
    {
      reason: fc.string(),
      timestamp: instant.map(pythonTime),
      severity: fc.option(fc.constantFrom("critical", "warning")),
      drawdown_pct: fc.option(fc.double({ min: 0, max: 100, noNaN: true }))
    },
    { requiredKeys: [] }
  )
}

/** A valid payload of each type, whose fields the edge values replace one at a time. */
const valid: { readonly [T in IncomingEventType]: Record<string, unknown> } = {
  "trade.opened": { trade_id: "t-1", symbol: "BTCUSDT", side: "LONG", entry_price: 42_000.5, quantity: 0.25, leverage: 10, timestamp: "2025-03-07T12:34:56.789012" },
  "trade.closed": { trade_id: "t-1", exit_price: 43_000, quantity: 0.25, realized_pnl: 249.875, timestamp: "2025-03-07T12:34:56.789012" },
  "order.executed": { order_id: "o-1", symbol: "BTCUSDT", side: "BUY", quantity: 0.25, price: 42_000.5, fee: 0.4, timestamp: "2025-03-07T12:34:56.789012" },
  "ess.tripped": { reason: "daily drawdown", timestamp: "2025-03-07T12:34:56.789012" },
  "market.tick": { symbol: "BTCUSDT", price: 42_100, timestamp: "2025-03-07T12:34:56.789012" }
}

/** A valid close of a position, as the Python executor sends it (flat, so every value a string). */
const validByPosition: Record<string, unknown> = {
  symbol: "BTCUSDT", side: "LONG", entry_price: "42000.5", exit_price: "43000", pnl_percent: "2.38", pnl_usd: "249.875",
  order_id: "123456789", reason: "take_profit", timestamp: "2025-03-07T09:00:00.123456"
}

/** `levels` arrays inside one another: `[[…]]`. */
const nested = (levels: number): unknown => {
  let value: unknown = []
  for (let i = 1; i < levels; i++) value = [value]
  return value
}

/** Values nested around the bound (32 levels), as arrays and as objects. */
const nesting = fc.constantFrom<unknown>(nested(30), nested(31), nested(32), nested(33), { a: nested(31) }, { a: { b: nested(31) } }, [{}], { k: [1, { x: 2 }] })

/**
 * A value as Python's `str()` writes it into a flat entry: `None`, `True`, `False`, floats as
 * `repr` does (`42000.0`, `1e-05`).
 */
const pythonStr = (value: unknown): unknown => {
  if (value === null) return "None"
  if (value === true) return "True"
  if (value === false) return "False"
  if (typeof value === "number") {
    if (Number.isInteger(value) && Math.abs(value) < 1e16) return Object.is(value, -0) ? "-0.0" : `${value}.0`
    return String(value).replace(/e([+-])(\d)$/, "e$10$2")
  }
  return value
}

/** A flat entry as a Python producer writes it: a well-formed payload, every value `str()`. */
const pythonFlatOf = (type: IncomingEventType): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(wellFormed[type], fc.uuid(), fc.constantFrom("execution_service", "market_data", "risk_safety"), instant).map(
    ([payload, trace, source, t]) => ({
      event_type: type, trace_id: trace, source, timestamp: pythonTime(t),
      ...Object.fromEntries(Object.entries(payload).map(([field, value]) => [field, pythonStr(value)]))
    })
  )

/** A fixed sample of an arbitrary's values (the same on every run). */
const samples = <A>(arbitrary: fc.Arbitrary<A>): Array<A> => fc.sample(arbitrary, { numRuns: 60, seed: 42 })

/** What `Arbitrary.make` finds in each payload schema, encoded as it travels. */
const fromSchema = (type: IncomingEventType): fc.Arbitrary<Record<string, unknown>> => {
  const schema = IncomingPayloads[type] as unknown as Schema.Schema<Record<string, unknown>, Record<string, unknown>>
  return Arbitrary.make(schema).map((p) => Schema.encodeSync(schema)(p))
}

/** A payload as JSON gives it: no field holds `undefined`. */
const withoutUndefined = (payload: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(payload).filter(([, v]) => v !== undefined))

/** A payload of `type`: well-formed, or with fields replaced, removed and added. */
const payloadOf = (type: IncomingEventType, options: { readonly undefinedValues: boolean }): fc.Arbitrary<Record<string, unknown>> =>
  fc.tuple(
    fc.oneof(wellFormed[type], fromSchema(type)),
    fc.array(
      fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fieldsOf(type)) }, fc.constantFrom(...fieldNames)), fc.option(options.undefinedValues ? fc.oneof(anyValue, fc.constant(undefined)) : anyValue, { freq: 4 })),
      { maxLength: 4 }
    )
  ).map(([base, edits]) => {
    const payload: Record<string, unknown> = { ...base }
    for (const [field, value] of edits) {
      if (value === null) delete payload[field]
      else payload[field] = value
    }
    return payload
  })

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe("the fast path of decodeEnvelope agrees with the schemas", () => {
  it("reads event times as the regex-and-Date.parse reading did", () => {
    const two = (n: number) => String(n).padStart(2, "0")
    const isoLike = fc
      .record({
        year: fc.integer({ min: 0, max: 9999 }),
        month: fc.integer({ min: 0, max: 13 }),
        day: fc.integer({ min: 0, max: 32 }),
        hour: fc.integer({ min: 0, max: 25 }),
        minute: fc.integer({ min: 0, max: 61 }),
        second: fc.integer({ min: 0, max: 61 }),
        fraction: fc.stringMatching(/^(\.\d{0,9})?$/),
        separator: fc.constantFrom("T", "T", " ", "t"),
        zone: fc.constantFrom("", "", "Z", "z", "+05:30", "-0400", "+5")
      })
      .map((t) => `${String(t.year).padStart(4, "0")}-${two(t.month)}-${two(t.day)}${t.separator}${two(t.hour)}:${two(t.minute)}:${two(t.second)}${t.fraction}${t.zone}`)
    fc.assert(
      fc.property(fc.oneof(isoLike, timestamp.filter((t): t is string => typeof t === "string"), fc.string()), (text) => {
        expect(parseEventTime(text)).toBe(referenceEventTime(text))
      }),
      { numRuns: 5_000 }
    )
  })

  it.each(types)("%s: the fast decoder gives the schema's value, or declines", (type) => {
    const bySchema = Schema.decodeUnknownEither(IncomingPayloads[type] as Schema.Schema<unknown, unknown>, { errors: "all", onExcessProperty: "ignore" })
    fc.assert(
      fc.property(payloadOf(type, { undefinedValues: false }).map(withoutUndefined), (payload) => {
        const fast = fastPayload[type](payload)
        if (fast === undefined) return
        const expected = bySchema(payload)
        if (Either.isLeft(expected)) throw new Error(`fast path accepted what the schema rejects: ${JSON.stringify(payload)}`)
        expectSameValue(fast, expected.right)
      }),
      { numRuns: RUNS }
    )
  })

  it.each(types)("%s: the fast decoder agrees on every edge value in every field", (type) => {
    const bySchema = Schema.decodeUnknownEither(IncomingPayloads[type] as Schema.Schema<unknown, unknown>, { errors: "all", onExcessProperty: "ignore" })
    const edges: ReadonlyArray<unknown> = [
      ...samples(number), ...samples(timestamp), ...samples(symbol), ...samples(side), ...samples(junk), ...samples(lengths),
      0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e18, -1e18, 1e19, Number.MAX_VALUE,
      "long", "Short", "BOTH", "CORE", "EXPANSION", "MONITORING", "TOXIC", "MEME", "core", "x", " x ", ""
    ]
    let accepted = 0
    const bases = type === "trade.closed" ? [valid[type], validByPosition, {}] : [valid[type], {}]
    for (const base of bases) {
      for (const field of fieldsOf(type)) {
        for (const value of edges) {
          const payload = { ...base, [field]: value }
          const fast = fastPayload[type](payload)
          if (fast === undefined) continue
          accepted++
          const expected = bySchema(payload)
          if (Either.isLeft(expected)) throw new Error(`fast path accepted what the schema rejects: ${field} = ${String(value)}`)
          expectSameValue(fast, expected.right)
        }
      }
    }
    expect(accepted).toBeGreaterThan(0)
  })

  it.each(types)("%s: the fast decoder takes every well-formed payload", (type) => {
    fc.assert(
      fc.property(wellFormed[type], (payload) => {
        expect(fastPayload[type](JSON.parse(JSON.stringify(payload)))).toBeDefined()
      }),
      { numRuns: 200 }
    )
  })

  it.each(types)("%s: the fast decoder takes every flat entry a Python producer writes of a well-formed payload", (type) => {
    fc.assert(
      fc.property(pythonFlatOf(type), (entry) => {
        expect(fastPayload[type](flatPayload(type, entry))).toBeDefined()
        expect(Either.isRight(decodeEnvelope(entry))).toBe(true)
      }),
      { numRuns: 200 }
    )
  })

  it.each(types)("%s: decodeEnvelope gives what the schema-only decoder gave, errors included", (type) => {
    const eventType = fc.oneof({ weight: 8, arbitrary: fc.constant(type) }, { weight: 1, arbitrary: fc.constantFrom("trade.teleported", 3) })
    const envelopeFields = {
      trace_id: fc.oneof({ weight: 4, arbitrary: fc.string() }, fc.constant(undefined), junk, fc.constantFrom("x".repeat(128), "x".repeat(129))),
      source: fc.oneof({ weight: 4, arbitrary: fc.constantFrom("execution", "market_data", "t".repeat(1_024)) }, fc.constant(undefined), junk, fc.constant("t".repeat(1_025))),
      correlation_id: fc.oneof({ weight: 4, arbitrary: fc.uuid() }, fc.constant(undefined), junk, fc.constant("c".repeat(129)))
    }
    const payloadForm = fc.record(
      {
        event_type: eventType,
        payload: fc.oneof(
          { weight: 4, arbitrary: payloadOf(type, { undefinedValues: false }).map((p) => JSON.stringify(p)) },
          { weight: 2, arbitrary: payloadOf(type, { undefinedValues: true }) },
          { weight: 1, arbitrary: fc.constantFrom("{not json", "[1]", "null", "42", [], null, 5) },
          { weight: 1, arbitrary: fc.tuple(payloadOf(type, { undefinedValues: false }), nesting).chain(([p, n]) =>
            fc.constantFrom<unknown>({ ...p, extra: n }, JSON.stringify({ ...p, extra: n }))) }
        ),
        ...envelopeFields,
        timestamp: fc.oneof(timestamp, fc.constant(undefined)),
        extra: fc.oneof(fc.string(), nesting)
      },
      { requiredKeys: ["event_type", "payload"] }
    )
    // A flat entry: the payload's fields on the entry, as Python's str() writes them or (over
    // HTTP) as JSON values.
    const flatForm = fc.tuple(
      payloadOf(type, { undefinedValues: false }),
      fc.record({ event_type: eventType, ...envelopeFields }, { requiredKeys: ["event_type"] }),
      fc.boolean(),
      fc.option(nesting, { freq: 8, nil: undefined })
    ).map(([payload, envelope, strings, deep]) => {
      const entry: Record<string, unknown> = {}
      for (const [field, value] of Object.entries(payload)) entry[field] = strings ? pythonStr(value) : value
      if (deep !== undefined) entry["extra"] = deep
      return { ...entry, ...envelope }
    })
    const pythonFlat = pythonFlatOf(type)
    const pythonPayload = fc.tuple(wellFormed[type], fc.uuid(), instant).map(([payload, trace, t]) => ({
      event_type: type, payload: JSON.stringify(payload), trace_id: trace, timestamp: pythonTime(t), source: "execution_service"
    }))
    const prototype = fc.constantFrom("object", "object", "null", "class")
    const options = fc.record(
      {
        defaultTime: instant,
        streamType: fc.constantFrom(type, type, type, type, type, type, "market.tick", "other"),
        idempotencyKey: fc.constantFrom("k-1", "k-1", "i".repeat(128), "i".repeat(128), "", "i".repeat(129))
      },
      { requiredKeys: [] }
    )
    const accepted = { flat: 0, payload: 0 }
    fc.assert(
      fc.property(fc.oneof(payloadForm, flatForm, pythonFlat, pythonPayload), prototype, options, (fields, proto, decodeOptions) => {
        const envelope = proto === "object" ? fields : Object.assign(proto === "null" ? Object.create(null) : new (class Entry {})(), fields)
        const actual = outcome(decodeEnvelope(envelope, decodeOptions))
        const expected = referenceDecode(envelope, decodeOptions)
        if ("ok" in expected && "ok" in actual) {
          expectSameValue(actual.ok, expected.ok)
          expectSameValue(actual.ok.payload, expected.ok.payload)
          accepted["payload" in fields ? "payload" : "flat"]++
        } else expect(actual).toStrictEqual(expected)
      }),
      { numRuns: RUNS }
    )
    // Both forms are decoded, not only rejected.
    expect(accepted.flat).toBeGreaterThan(RUNS / 50)
    expect(accepted.payload).toBeGreaterThan(RUNS / 50)
  })

  it("decodes an inherited field as absent, as the schema does", () => {
    const inherited = Object.create({ payload: '{"symbol":"BTCUSDT","price":1}' }) as Record<string, unknown>
    inherited["event_type"] = "market.tick"
    expect(outcome(decodeEnvelope(inherited, { defaultTime: 0 }))).toStrictEqual(referenceDecode(inherited, { defaultTime: 0 }))
    expect(Either.isLeft(decodeEnvelope(inherited))).toBe(true)
  })
})
