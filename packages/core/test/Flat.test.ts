/**
 * Flat entries (DESIGN.md §5), the production `trade.closed` (§3), nesting bounds, the stream an
 * entry was read from, and what `decodeEnvelope` tells the idempotency keys (`timed`,
 * `idempotencyKey`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, ParseResult, Schema } from "effect"
import { decodeEnvelope, type InvalidEvent, MAX_PAYLOAD_DEPTH } from "../src/schema/Envelope.js"
import { IncomingPayloads, type IncomingEvent, type IncomingEventType } from "../src/schema/EventsIn.js"
import { booleanFields, nullableFields } from "../src/schema/internal/flat.js"
import { ms } from "./arbitraries.js"

const WHEN = "2025-03-07T09:00:00.123456" // datetime.utcnow().isoformat()
const WHEN_MS = ms("2025-03-07T09:00:00.123Z")

const ok = (result: Either.Either<IncomingEvent, InvalidEvent>): IncomingEvent => {
  if (Either.isLeft(result)) throw new Error(`rejected: ${result.left.message}`)
  return result.right
}
const rejected = (result: Either.Either<IncomingEvent, InvalidEvent>): InvalidEvent => {
  if (Either.isRight(result)) throw new Error(`accepted: ${JSON.stringify(result.right.payload)}`)
  return result.left
}
const paths = (e: InvalidEvent) => e.issues.map((i) => i.path)

const types = Object.keys(IncomingPayloads) as Array<IncomingEventType>
const fieldsOf = (type: IncomingEventType): ReadonlyArray<string> => {
  const schema = IncomingPayloads[type] as unknown as { readonly fields?: object; readonly from?: { readonly fields: object } }
  return Object.keys(schema.fields ?? schema.from!.fields)
}

/** Whether the schema of `type` takes `value` in `field` (no fault reported there). */
const takes = (type: IncomingEventType, field: string, value: unknown): boolean => {
  const result = Schema.decodeUnknownEither(IncomingPayloads[type] as Schema.Schema<unknown, unknown>, { errors: "all" })({ [field]: value })
  return Either.isRight(result) || !ParseResult.ArrayFormatter.formatErrorSync(result.left).some((i) => i.path[0] === field)
}

/** The production close (the Python executor's TradeClosedEvent), flat, as Redis holds it. */
const executorClose = {
  event_type: "trade.closed",
  symbol: "BTCUSDT",
  side: "LONG",
  entry_price: "42000.5",
  exit_price: "43000.0",
  pnl_percent: "2.3809",
  pnl_usd: "249.875",
  order_id: "8389765629345432",
  reason: "take_profit",
  timestamp: WHEN,
  source: "execution_service",
  trace_id: "3f1c2d4e-0000-4000-8000-000000000001"
}

describe("flat entries", () => {
  it.each(types)("%s: the fields read as null and as booleans are those the schema takes null and booleans in", (type) => {
    for (const field of fieldsOf(type)) {
      expect(nullableFields[type].has(field), `${type}.${field} takes null`).toBe(takes(type, field, null))
      expect(booleanFields[type].has(field), `${type}.${field} takes true`).toBe(takes(type, field, true) && !takes(type, field, "True"))
    }
  })

  it("decodes the executor's trade.closed: no trade_id, no quantity, every value a string", () => {
    const event = ok(decodeEnvelope(executorClose))
    expect(event).toStrictEqual({
      type: "trade.closed",
      payload: {
        symbol: "BTCUSDT",
        side: "LONG",
        exit_price: 43_000,
        entry_price: 42_000.5,
        timestamp: WHEN_MS,
        order_id: "8389765629345432",
        reason: "take_profit",
        pnl_usd: 249.875,
        pnl_percent: 2.3809
      },
      at: WHEN_MS,
      traceId: "3f1c2d4e-0000-4000-8000-000000000001",
      correlationId: undefined,
      source: "execution_service",
      timed: true
    })
    // The closed side as an order side: read as TradeSide reads it (SELL is SHORT).
    expect(ok(decodeEnvelope({ ...executorClose, side: "SELL" })).payload).toMatchObject({ side: "SHORT" })
    // pnl_usd is optional: Python writes str(None).
    expect(ok(decodeEnvelope({ ...executorClose, pnl_usd: "None" })).payload).not.toHaveProperty("pnl_usd")
  })

  it("rejects the executor's close without symbol or side, naming the field (no payload. prefix: the field is on the entry)", () => {
    const { symbol: _, ...noSymbol } = executorClose
    const e = rejected(decodeEnvelope(noSymbol))
    expect(paths(e)).toEqual(["symbol"])
    expect(e.message).toContain("symbol: is missing")
    expect(paths(rejected(decodeEnvelope({ ...executorClose, side: "None" })))).toEqual(["side"])
    expect(paths(rejected(decodeEnvelope({ ...executorClose, exit_price: "43k" })))).toEqual(["exit_price"])
    expect(paths(rejected(decodeEnvelope({ ...executorClose, side: "FLAT" })))).toEqual(["side"])
  })

  it("reads numbers as decimal strings, as Python's str() writes them", () => {
    const tick = (price: string) => decodeEnvelope({ event_type: "market.tick", symbol: "ETHUSDT", price, timestamp: WHEN })
    expect(ok(tick("3000.25")).payload).toMatchObject({ price: 3_000.25 })
    expect(ok(tick("3000.0")).payload).toMatchObject({ price: 3_000 })
    expect(ok(tick("1e-05")).payload).toMatchObject({ price: 0.00001 })
    expect(ok(tick("1E+3")).payload).toMatchObject({ price: 1_000 }) // Decimal
    for (const bad of ["inf", "nan", "NaN", "Infinity", "", "None", "null", "3,000.25", "1e19"]) {
      expect(paths(rejected(tick(bad))), bad).toEqual(["price"])
    }
  })

  it("reads \"None\" as null where the schema takes null, as absent elsewhere", () => {
    const opened = ok(decodeEnvelope({
      event_type: "trade.opened", trade_id: "t-1", symbol: "BTCUSDT", side: "BUY", entry_price: "42000.5", quantity: "0.25",
      leverage: "None", stop_loss: "None", take_profit: "44000.0", confidence: "None", model: "None", strategy: "None", order_id: "None",
      timestamp: WHEN
    }))
    expect(opened.payload).toStrictEqual({
      trade_id: "t-1", symbol: "BTCUSDT", side: "LONG", entry_price: 42_000.5, quantity: 0.25, leverage: 1, timestamp: WHEN_MS,
      stop_loss: null, take_profit: 44_000, confidence: null, model: null
    })
    // A required field written as None is missing.
    const e = rejected(decodeEnvelope({ event_type: "trade.opened", trade_id: "None", symbol: "BTCUSDT", side: "LONG", entry_price: "1", quantity: "None", timestamp: WHEN }))
    expect(paths(e)).toEqual(["trade_id", "quantity"])
    expect(e.issues.every((i) => /missing/.test(i.message))).toBe(true)
    // ess.tripped's reason takes its default.
    expect(ok(decodeEnvelope({ event_type: "ess.tripped", reason: "None", severity: "None", drawdown_pct: "5.2", timestamp: WHEN })).payload)
      .toStrictEqual({ reason: "unspecified", timestamp: WHEN_MS, severity: null, drawdown_pct: 5.2 })
  })

  it("reads True/False (and true/false) in boolean fields; rejects other spellings, naming the field", () => {
    const fill = (reduce_only: string) =>
      decodeEnvelope({ event_type: "order.executed", order_id: "o-1", symbol: "BTCUSDT", side: "SELL", quantity: "0.5", price: "42000", reduce_only, timestamp: WHEN })
    expect(ok(fill("True")).payload).toMatchObject({ reduce_only: true })
    expect(ok(fill("true")).payload).toMatchObject({ reduce_only: true })
    expect(ok(fill("False")).payload).toMatchObject({ reduce_only: false })
    expect(ok(fill("false")).payload).toMatchObject({ reduce_only: false })
    expect(ok(fill("None")).payload).not.toHaveProperty("reduce_only")
    for (const bad of ["1", "0", "yes", "TRUE", "", " True"]) expect(paths(rejected(fill(bad))), bad).toEqual(["reduce_only"])
    // Text stays text: only Python's None is null.
    expect(ok(decodeEnvelope({ event_type: "order.executed", order_id: "o-1", symbol: "BTCUSDT", side: "SELL", quantity: "1", price: "1", fee_asset: "null", status: "True", timestamp: WHEN })).payload)
      .toMatchObject({ fee_asset: "null", status: "True" })
  })

  it("takes the envelope's fields out of the payload, keeps timestamp in both, ignores extra fields", () => {
    const event = ok(decodeEnvelope({
      event_type: "market.tick", symbol: "BTCUSDT", price: "42000", source: "market_data", trace_id: "tr", correlation_id: "co",
      timestamp: WHEN, exchange: "binance", extra_nested: { a: [1] }
    }))
    expect(event.payload).toStrictEqual({ symbol: "BTCUSDT", price: 42_000, timestamp: WHEN_MS })
    expect([event.source, event.traceId, event.correlationId, event.at]).toEqual(["market_data", "tr", "co", WHEN_MS])
  })

  it("reads an empty timestamp as absent (the caller's default time, untimed); a bad one names timestamp", () => {
    const entry = { event_type: "market.tick", symbol: "BTCUSDT", price: "1" }
    expect(ok(decodeEnvelope({ ...entry, timestamp: "" }, { defaultTime: 7 }))).toMatchObject({ at: 7, timed: false })
    const missing = rejected(decodeEnvelope({ ...entry, timestamp: "" }))
    expect(missing.issues).toEqual([{ path: "timestamp", message: "is missing" }])
    expect(paths(rejected(decodeEnvelope({ ...entry, timestamp: "soon" }, { defaultTime: 7 })))).toEqual(["timestamp"])
  })

  it("accepts flat entries over HTTP with JSON values, and with the fields' envelope types checked", () => {
    expect(ok(decodeEnvelope({ event_type: "market.tick", symbol: "BTCUSDT", price: 42_000.5, timestamp: 1_741_338_000_123 })).at).toBe(WHEN_MS)
    expect(paths(rejected(decodeEnvelope({ event_type: "market.tick", symbol: "BTCUSDT", price: 1, source: 5, trace_id: "x".repeat(129) }))))
      .toEqual(["trace_id", "source"])
    // `payload: undefined` is no payload.
    ok(decodeEnvelope({ event_type: "market.tick", payload: undefined, symbol: "BTCUSDT", price: "1", timestamp: WHEN }))
    // A class instance or a null-prototype object: its own fields.
    const entry = Object.assign(Object.create(null), { event_type: "market.tick", symbol: "btcusdt", price: "2", timestamp: WHEN })
    expect(ok(decodeEnvelope(entry)).payload).toMatchObject({ symbol: "BTCUSDT", price: 2 })
  })

  it("does not read Python's spellings in the payload form: JSON has null, true and false", () => {
    const e = rejected(decodeEnvelope({ event_type: "market.tick", payload: JSON.stringify({ symbol: "BTCUSDT", price: 1, bid: "None" }), timestamp: WHEN }))
    expect(paths(e)).toEqual(["payload.bid"])
    const fill = { order_id: "o", symbol: "BTCUSDT", side: "BUY", quantity: "1", price: "2", reduce_only: "True", timestamp: WHEN }
    expect(paths(rejected(decodeEnvelope({ event_type: "order.executed", payload: JSON.stringify(fill) })))).toEqual(["payload.reduce_only"])
    // Numbers as strings are read in both forms.
    expect(ok(decodeEnvelope({ event_type: "order.executed", payload: JSON.stringify({ ...fill, reduce_only: true }) })).payload).toMatchObject({ quantity: 1, price: 2 })
  })
})

describe("nesting", () => {
  /** `levels` arrays (or objects) inside one another, built without recursion. */
  const nested = (levels: number, kind: "array" | "object" = "array"): unknown => {
    let value: unknown = kind === "array" ? [] : {}
    for (let i = 1; i < levels; i++) value = kind === "array" ? [value] : { a: value }
    return value
  }
  const tick = { symbol: "BTCUSDT", price: 1, timestamp: WHEN }
  const message = `nested deeper than ${MAX_PAYLOAD_DEPTH} levels`

  it("rejects a payload string 100 000 levels deep without a stack overflow, naming payload", () => {
    for (const text of ["[".repeat(100_000) + "]".repeat(100_000), `{"symbol":"BTCUSDT","price":1,"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, '{"a":'.repeat(100_000) + "1" + "}".repeat(100_000), "[".repeat(100_000)]) {
      const e = rejected(decodeEnvelope({ event_type: "market.tick", payload: text }))
      expect(e.issues).toEqual([{ path: "payload", message }])
    }
  })

  it("rejects an object payload, a flat field or an envelope field 100 000 levels deep, naming it", () => {
    for (const kind of ["array", "object"] as const) {
      const deep = nested(100_000, kind)
      expect(rejected(decodeEnvelope({ event_type: "market.tick", payload: { ...tick, x: deep } })).issues).toEqual([{ path: "payload", message }])
      expect(rejected(decodeEnvelope({ event_type: "market.tick", ...tick, x: deep })).issues).toEqual([{ path: "x", message }])
      expect(rejected(decodeEnvelope({ event_type: "market.tick", payload: JSON.stringify(tick), trace_id: deep })).issues).toEqual([{ path: "trace_id", message }])
      expect(rejected(decodeEnvelope({ event_type: "market.tick", payload: deep })).issues).toEqual([{ path: "payload", message }])
    }
    expect(rejected(decodeEnvelope(nested(100_000))).issues).toEqual([{ path: "0", message }])
  })

  it(`accepts ${MAX_PAYLOAD_DEPTH} levels, rejects ${MAX_PAYLOAD_DEPTH + 1}; brackets in strings do not count`, () => {
    // The payload is level 1, so a field of it may nest 31 more.
    ok(decodeEnvelope({ event_type: "market.tick", payload: JSON.stringify({ ...tick, x: nested(MAX_PAYLOAD_DEPTH - 1) }) }))
    ok(decodeEnvelope({ event_type: "market.tick", payload: { ...tick, x: nested(MAX_PAYLOAD_DEPTH - 1, "object") } }))
    rejected(decodeEnvelope({ event_type: "market.tick", payload: JSON.stringify({ ...tick, x: nested(MAX_PAYLOAD_DEPTH) }) }))
    rejected(decodeEnvelope({ event_type: "market.tick", payload: { ...tick, x: nested(MAX_PAYLOAD_DEPTH) } }))
    ok(decodeEnvelope({ event_type: "market.tick", ...tick, x: nested(MAX_PAYLOAD_DEPTH) }))
    rejected(decodeEnvelope({ event_type: "market.tick", ...tick, x: nested(MAX_PAYLOAD_DEPTH + 1) }))
    const event = ok(decodeEnvelope({ event_type: "ess.tripped", payload: JSON.stringify({ reason: `${"[{".repeat(400)}\\"[`, timestamp: WHEN }) }))
    expect(event.payload).toMatchObject({ reason: `${"[{".repeat(400)}\\"[` })
  })

  it("rejects a cyclic value as too deep, and one sharing an object many times over as too large", () => {
    const cycle: Record<string, unknown> = { symbol: "BTCUSDT", price: 1 }
    cycle["self"] = cycle
    expect(rejected(decodeEnvelope({ event_type: "market.tick", payload: cycle, timestamp: WHEN })).issues).toEqual([{ path: "payload", message }])
    let shared: unknown = [1]
    for (let i = 0; i < 30; i++) shared = [shared, shared] // 2^30 paths, 31 levels
    const e = rejected(decodeEnvelope({ event_type: "market.tick", payload: { ...tick, x: shared } }, { maxPayloadChars: 10_000 }))
    expect(e.issues).toEqual([{ path: "payload", message: "holds more than 10000 values" }])
  })
})

describe("stream type", () => {
  const tick = { event_type: "market.tick", payload: JSON.stringify({ symbol: "BTCUSDT", price: 1, timestamp: WHEN }) }

  it("rejects an entry whose event_type is not its stream's, naming event_type", () => {
    const e = rejected(decodeEnvelope(tick, { streamType: "trade.closed" }))
    expect(e.issues).toEqual([{ path: "event_type", message: '"market.tick" read from the stream of "trade.closed"' }])
    expect(e.message).toContain('event_type: "market.tick" read from the stream of "trade.closed"')
    expect(ok(decodeEnvelope(tick, { streamType: "market.tick" })).type).toBe("market.tick")
    const flat = { event_type: "trade.closed", symbol: "BTCUSDT", side: "LONG", exit_price: "1", timestamp: WHEN }
    expect(paths(rejected(decodeEnvelope(flat, { streamType: "trade.opened" })))).toEqual(["event_type"])
    // An unknown type read from its own stream is still unknown.
    expect(rejected(decodeEnvelope({ ...tick, event_type: "trade.teleported" }, { streamType: "trade.teleported" })).issues[0]!.message).toMatch(/unknown event type/)
  })
})

describe("idempotency", () => {
  const untimed = { event_type: "trade.closed", payload: JSON.stringify({ trade_id: "t-1", exit_price: 43_000 }) }

  it("says whether the event time is the event's own (timed) or the caller's default (untimed)", () => {
    expect(ok(decodeEnvelope(untimed, { defaultTime: 1_000 }))).toMatchObject({ at: 1_000, timed: false })
    expect(ok(decodeEnvelope({ ...untimed, timestamp: WHEN }, { defaultTime: 1_000 }))).toMatchObject({ at: WHEN_MS, timed: true })
    expect(ok(decodeEnvelope({ ...untimed, timestamp: "" }, { defaultTime: 1_000 }))).toMatchObject({ timed: false })
    const own = { event_type: "trade.closed", payload: JSON.stringify({ trade_id: "t-1", exit_price: 43_000, timestamp: WHEN }) }
    expect(ok(decodeEnvelope(own, { defaultTime: 1_000 }))).toMatchObject({ at: WHEN_MS, timed: true })
    expect(ok(decodeEnvelope({ ...executorClose }, { defaultTime: 1_000 }))).toMatchObject({ at: WHEN_MS, timed: true })
  })

  it("copies the caller's Idempotency-Key to the event, 1 to 128 characters, else rejects naming it", () => {
    expect(ok(decodeEnvelope(untimed, { defaultTime: 1, idempotencyKey: "req-42" })).idempotencyKey).toBe("req-42")
    expect(ok(decodeEnvelope(untimed, { defaultTime: 1, idempotencyKey: "k".repeat(128) })).idempotencyKey).toBe("k".repeat(128))
    expect(ok(decodeEnvelope(untimed, { defaultTime: 1 }))).not.toHaveProperty("idempotencyKey")
    for (const key of ["", "k".repeat(129)]) {
      const e = rejected(decodeEnvelope(untimed, { defaultTime: 1, idempotencyKey: key }))
      expect(paths(e)).toEqual(["Idempotency-Key"])
      expect(e.issues[0]!.message).toBe(`must be 1 to 128 characters, got ${key.length}`)
    }
  })
})
