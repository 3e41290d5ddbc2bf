import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck, Schema } from "effect"
import * as Backtest from "../src/domain/Backtest.js"
import * as Valuation from "../src/domain/Valuation.js"
import { decodeEnvelope, encodeIncoming, encodeOutgoing, type InvalidEvent } from "../src/schema/Envelope.js"
import { IncomingPayloads, type IncomingEvent, type IncomingEventType } from "../src/schema/EventsIn.js"
import { OutgoingPayloads, type OutgoingEvent } from "../src/schema/EventsOut.js"
import { formatEventTime, parseEventTime } from "../src/schema/Primitives.js"
import type { ClosedTradeRecord } from "../src/schema/Records.js"
import { ms, pythonTime } from "./arbitraries.js"

const WHEN = "2025-03-07T12:34:56.789012" // as Python's datetime.utcnow().isoformat() writes it
const WHEN_MS = ms("2025-03-07T12:34:56.789Z")

/** A valid payload of each incoming type, and its required fields. */
const valid: Record<IncomingEventType, { payload: Record<string, unknown>; required: ReadonlyArray<string> }> = {
  "trade.opened": {
    payload: { trade_id: "t-1", symbol: "BTCUSDT", side: "LONG", entry_price: 42_000.5, quantity: 0.25, leverage: 10, timestamp: WHEN },
    required: ["trade_id", "symbol", "side", "entry_price", "quantity"]
  },
  "trade.closed": {
    payload: { trade_id: "t-1", exit_price: 43_000, quantity: 0.25, realized_pnl: 249.875, timestamp: WHEN },
    required: ["exit_price"]
  },
  "order.executed": {
    payload: { order_id: "o-1", symbol: "BTCUSDT", side: "BUY", quantity: 0.25, price: 42_000.5, fee: 0.4, timestamp: WHEN },
    required: ["order_id", "symbol", "side", "quantity", "price"]
  },
  "ess.tripped": { payload: { reason: "daily drawdown 5.2% > 5%", timestamp: WHEN }, required: [] },
  "market.tick": { payload: { symbol: "BTCUSDT", price: 42_100, timestamp: WHEN }, required: ["symbol", "price"] }
}
const types = Object.keys(valid) as Array<IncomingEventType>

const decode = (type: string, payload: unknown, envelope: Record<string, unknown> = {}, options = {}) =>
  decodeEnvelope({ event_type: type, payload: typeof payload === "string" ? payload : JSON.stringify(payload), ...envelope }, options)

const ok = (result: Either.Either<IncomingEvent, InvalidEvent>): IncomingEvent => {
  if (Either.isLeft(result)) throw new Error(`rejected: ${result.left.message}`)
  return result.right
}
const rejected = (result: Either.Either<IncomingEvent, InvalidEvent>): InvalidEvent => {
  if (Either.isRight(result)) throw new Error(`accepted: ${JSON.stringify(result.right.payload)}`)
  return result.left
}
const paths = (e: InvalidEvent) => e.issues.map((i) => i.path)

describe("incoming events", () => {
  it.each(types)("accepts a valid %s, at the payload's time", (type) => {
    const event = ok(decode(type, valid[type].payload, { trace_id: "tr-1", correlation_id: "co-1", source: "execution" }))
    expect(event.type).toBe(type)
    expect(event.at).toBe(WHEN_MS)
    expect([event.traceId, event.correlationId, event.source]).toEqual(["tr-1", "co-1", "execution"])
  })

  it.each(types.flatMap((type) => valid[type].required.map((field) => [type, field] as const)))(
    "rejects %s without %s, naming the field",
    (type, field) => {
      const { [field]: _, ...payload } = valid[type].payload
      const e = rejected(decode(type, payload))
      expect(e.eventType).toBe(type)
      expect(paths(e)).toContain(`payload.${field}`)
      expect(e.message).toContain(`payload.${field}`)
      expect(e.issues.find((i) => i.path === `payload.${field}`)!.message).toMatch(/missing/)
    }
  )

  it("rejects trade.closed without trade_id unless it names the symbol and side, naming what is missing", () => {
    const byPosition: Record<string, unknown> = { ...valid["trade.closed"].payload, symbol: "BTCUSDT", side: "SELL" }
    delete byPosition["trade_id"]
    expect(ok(decode("trade.closed", byPosition)).payload).toMatchObject({ symbol: "BTCUSDT", side: "SHORT", exit_price: 43_000 })
    expect(ok(decode("trade.closed", byPosition)).payload).not.toHaveProperty("trade_id")
    for (const missing of [["symbol"], ["side"], ["symbol", "side"]]) {
      const payload = Object.fromEntries(Object.entries(byPosition).filter(([k]) => !missing.includes(k)))
      const e = rejected(decode("trade.closed", payload))
      expect(paths(e)).toEqual(missing.map((f) => `payload.${f}`))
      expect(e.issues[0]!.message).toMatch(/missing.*trade_id/)
    }
    // With a trade_id, symbol and side stay optional.
    ok(decode("trade.closed", valid["trade.closed"].payload))
  })

  it("accepts pnl_usd and pnl_percent on trade.closed; null (Python's None) is absent", () => {
    const event = ok(decode("trade.closed", { ...valid["trade.closed"].payload, pnl_usd: "249.875", pnl_percent: 2.38 }))
    expect(event.payload).toMatchObject({ pnl_usd: 249.875, pnl_percent: 2.38 })
    const none = ok(decode("trade.closed", { ...valid["trade.closed"].payload, pnl_usd: null, pnl_percent: null })).payload
    expect(none).not.toHaveProperty("pnl_usd")
    expect(none).not.toHaveProperty("pnl_percent")
    expect(paths(rejected(decode("trade.closed", { ...valid["trade.closed"].payload, pnl_usd: "None" })))).toEqual(["payload.pnl_usd"])
    expect(paths(rejected(decode("trade.closed", { ...valid["trade.closed"].payload, pnl_percent: "NaN" })))).toEqual(["payload.pnl_percent"])
  })

  describe("length limits", () => {
    it.each([
      ["market.tick", "symbol", "A".repeat(33), /at most 32 characters, got 33/],
      ["market.tick", "symbol", "BTC/USDT", /only A-Z, a-z, 0-9/],
      ["market.tick", "symbol", "BTC USDT", /only A-Z, a-z, 0-9/],
      ["market.tick", "symbol", "ßTC", /only A-Z, a-z, 0-9/],
      ["trade.opened", "trade_id", "t".repeat(129), /at most 128 characters, got 129/],
      ["trade.opened", "order_id", "o".repeat(129), /at most 128/],
      ["trade.closed", "close_id", "c".repeat(129), /at most 128/],
      ["trade.closed", "order_id", "o".repeat(129), /at most 128/],
      ["order.executed", "order_id", "o".repeat(129), /at most 128/],
      ["order.executed", "fill_id", "f".repeat(129), /at most 128/],
      ["order.executed", "trade_id", "t".repeat(129), /at most 128/],
      ["trade.closed", "reason", "r".repeat(1_025), /at most 1024 characters, got 1025/],
      ["trade.closed", "close_reason", "r".repeat(1_025), /at most 1024/],
      ["trade.opened", "strategy", "s".repeat(1_025), /at most 1024/],
      ["ess.tripped", "reason", "r".repeat(1_025), /at most 1024/],
      ["order.executed", "fee_asset", "B".repeat(1_025), /at most 1024/]
    ] as const)("rejects %s with a %s too long or of other characters, naming it", (type, field, value, message) => {
      const e = rejected(decode(type, { ...valid[type].payload, [field]: value }))
      expect(paths(e)).toEqual([`payload.${field}`])
      expect(e.issues[0]!.message).toMatch(message)
    })

    it("accepts symbols of 32 characters of A-Z a-z 0-9 . _ -, trimmed and upper-cased; ids of 128; text of 1 024", () => {
      expect(ok(decode("market.tick", { ...valid["market.tick"].payload, symbol: ` ${"a".repeat(30)}.-` })).payload).toMatchObject({ symbol: `${"A".repeat(30)}.-` })
      expect(ok(decode("market.tick", { ...valid["market.tick"].payload, symbol: "1000pepe_usdt" })).payload).toMatchObject({ symbol: "1000PEPE_USDT" })
      ok(decode("trade.opened", { ...valid["trade.opened"].payload, trade_id: ` ${"t".repeat(128)} ` }))
      ok(decode("trade.closed", { ...valid["trade.closed"].payload, close_id: "c".repeat(128), reason: "r".repeat(1_024) }))
    })

    it("rejects an envelope whose trace_id or correlation_id is over 128 characters or source over 1 024", () => {
      const e = rejected(decode("market.tick", valid["market.tick"].payload, { trace_id: "t".repeat(129), correlation_id: "c".repeat(129), source: "s".repeat(1_025) }))
      expect(paths(e)).toEqual(["trace_id", "source", "correlation_id"])
      ok(decode("market.tick", valid["market.tick"].payload, { trace_id: "t".repeat(128), correlation_id: "c".repeat(128), source: "s".repeat(1_024) }))
    })

    it("echoes at most 64 characters of a rejected value", () => {
      const e = rejected(decode("trade.opened", { ...valid["trade.opened"].payload, side: "X".repeat(10_000) }))
      expect(e.reason.length).toBeLessThan(200)
      expect(e.reason).toContain("(10000 characters)")
    })
  })

  it("names every missing field at once", () => {
    const e = rejected(decode("trade.opened", { trade_id: "t", timestamp: WHEN }))
    expect(paths(e)).toEqual(expect.arrayContaining(["payload.symbol", "payload.side", "payload.entry_price", "payload.quantity"]))
  })

  it("accepts ess.tripped with no reason (defaults to unspecified)", () => {
    const event = ok(decode("ess.tripped", { timestamp: WHEN }))
    expect(event.payload).toMatchObject({ reason: "unspecified" })
  })

  it.each([
    ["trade.opened", "trade_id", 123],
    ["trade.opened", "trade_id", "   "],
    ["trade.opened", "symbol", 5],
    ["trade.opened", "symbol", ""],
    ["trade.opened", "entry_price", "abc"],
    ["trade.opened", "entry_price", true],
    ["trade.opened", "quantity", null],
    ["trade.opened", "quantity", { value: 1 }],
    ["trade.opened", "leverage", "ten"],
    ["trade.opened", "category", "MEME"],
    ["trade.closed", "realized_pnl", "lots"],
    ["trade.closed", "quantity", [1]],
    ["order.executed", "side", 1],
    ["order.executed", "reduce_only", "yes"],
    ["market.tick", "price", ""],
    ["market.tick", "price", " "]
  ] as const)("rejects %s with %s = %j", (type, field, value) => {
    const e = rejected(decode(type, { ...valid[type].payload, [field]: value }))
    expect(paths(e)).toContain(`payload.${field}`)
  })

  it.each(["NaN", "nan", "Infinity", "-Infinity", "1e999"])("rejects the number string %j", (value) => {
    const e = rejected(decode("market.tick", { ...valid["market.tick"].payload, price: value }))
    expect([...new Set(paths(e))]).toEqual(["payload.price"])
  })

  it("rejects NaN and Infinity literals (Python's json.dumps writes them; they are not JSON)", () => {
    const e = rejected(decode("market.tick", `{"symbol": "BTCUSDT", "price": NaN, "timestamp": "${WHEN}"}`))
    expect(paths(e)).toEqual(["payload"])
    expect(e.issues[0]!.message).toMatch(/not JSON/)
    rejected(decode("market.tick", `{"symbol": "BTCUSDT", "price": Infinity, "timestamp": "${WHEN}"}`))
  })

  it("rejects NaN and Infinity numbers in an object payload (POST /api/events)", () => {
    for (const price of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const e = rejected(decodeEnvelope({ event_type: "market.tick", payload: { symbol: "BTCUSDT", price, timestamp: WHEN } }))
      expect(paths(e)).toEqual(["payload.price"])
    }
  })

  it("rejects magnitudes beyond 1e18, which would overflow exposures and sums to Infinity", () => {
    for (const [field, value] of [["price", 1e308], ["price", "1e19"], ["mark_price", 1.0000001e18]] as const) {
      const e = rejected(decode("market.tick", { ...valid["market.tick"].payload, [field]: value }))
      expect(paths(e)).toEqual([`payload.${field}`])
      expect(e.message).toContain("magnitude")
    }
    expect(paths(rejected(decode("trade.closed", { ...valid["trade.closed"].payload, realized_pnl: -1e300 })))).toEqual(["payload.realized_pnl"])
    expect(ok(decode("market.tick", { ...valid["market.tick"].payload, price: 1e18 })).payload).toMatchObject({ price: 1e18 })
  })

  it("accepts numbers as strings (Python Decimal), trimmed", () => {
    const event = ok(decode("trade.opened", { ...valid["trade.opened"].payload, entry_price: " 42000.50 ", quantity: "0.25" }))
    expect(event.payload).toMatchObject({ entry_price: 42_000.5, quantity: 0.25 })
  })

  it.each([
    ["trade.opened", "entry_price", 0],
    ["trade.opened", "entry_price", -1],
    ["trade.opened", "quantity", 0],
    ["trade.opened", "quantity", -0.5],
    ["trade.opened", "quantity", "-0.5"],
    ["trade.opened", "leverage", 0],
    ["trade.opened", "fees", -0.01],
    ["trade.closed", "exit_price", 0],
    ["trade.closed", "quantity", 0],
    ["trade.closed", "fees", -1],
    ["order.executed", "price", -42_000],
    ["order.executed", "quantity", 0],
    ["order.executed", "fee", -0.4],
    ["market.tick", "price", 0],
    ["market.tick", "mark_price", -1]
  ] as const)("rejects %s with %s = %j (must be positive)", (type, field, value) => {
    const e = rejected(decode(type, { ...valid[type].payload, [field]: value }))
    expect(paths(e)).toEqual([`payload.${field}`])
  })

  it("accepts a negative realized PnL and zero fees", () => {
    const event = ok(decode("trade.closed", { ...valid["trade.closed"].payload, realized_pnl: -12.5, fees: 0 }))
    expect(event.payload).toMatchObject({ realized_pnl: -12.5, fees: 0 })
  })

  it("reads sides in any case: BUY opens LONG, SELL opens SHORT; anything else is rejected", () => {
    const side = (value: string) => ok(decode("trade.opened", { ...valid["trade.opened"].payload, side: value })).payload
    expect(side("buy")).toMatchObject({ side: "LONG" })
    expect(side("SELL")).toMatchObject({ side: "SHORT" })
    expect(side("Short")).toMatchObject({ side: "SHORT" })
    expect(side(" long ")).toMatchObject({ side: "LONG" })
    for (const bad of ["HOLD", "", "FLAT", "B"]) {
      const e = rejected(decode("trade.opened", { ...valid["trade.opened"].payload, side: bad }))
      expect(paths(e)).toEqual(["payload.side"])
      expect(e.message).toContain("LONG, SHORT, BUY or SELL")
    }
    // A fill's side is an order side: BUY or SELL only.
    expect(ok(decode("order.executed", { ...valid["order.executed"].payload, side: "sell" })).payload).toMatchObject({ side: "SELL" })
    expect(paths(rejected(decode("order.executed", { ...valid["order.executed"].payload, side: "LONG" })))).toEqual(["payload.side"])
  })

  it("upper-cases and trims symbols", () => {
    expect(ok(decode("market.tick", { ...valid["market.tick"].payload, symbol: " btcusdt " })).payload).toMatchObject({ symbol: "BTCUSDT" })
  })

  it("ignores unknown fields and accepts the original's unused ones", () => {
    const payload = {
      ...valid["trade.closed"].payload,
      duration_sec: 3_600,
      close_reason: "take_profit",
      pnl_pct: 1.2,
      strategy_v2_extra: { nested: true },
      foo: "bar"
    }
    const event = ok(decode("trade.closed", payload))
    expect(event.payload).not.toHaveProperty("foo")
    expect(event.payload).not.toHaveProperty("strategy_v2_extra")
    expect(event.payload).toMatchObject({ duration_sec: 3_600, close_reason: "take_profit" })
    const opened = ok(decode("trade.opened", { ...valid["trade.opened"].payload, stop_loss: 41_000, take_profit: null, confidence: 0.8, model: "xgb" }))
    expect(opened.payload).toMatchObject({ stop_loss: 41_000, take_profit: null })
  })

  describe("event time", () => {
    it.each([
      ["2025-03-07T12:34:56.789012", "2025-03-07T12:34:56.789Z"], // Python, zone-less: UTC
      ["2025-03-07T12:34:56", "2025-03-07T12:34:56.000Z"],
      ["2025-03-07 12:34:56.5", "2025-03-07T12:34:56.500Z"],
      ["2025-03-07T12:34:56.789Z", "2025-03-07T12:34:56.789Z"],
      ["2025-03-07T12:34:56.789012z", "2025-03-07T12:34:56.789Z"],
      ["2025-03-07T18:04:56.789+05:30", "2025-03-07T12:34:56.789Z"],
      ["2025-03-07T08:34:56-0400", "2025-03-07T12:34:56.000Z"],
      ["2025-03-07", "2025-03-07T00:00:00.000Z"],
      ["2024-02-29T00:00:00", "2024-02-29T00:00:00.000Z"],
      [1_741_350_896_789, "2025-03-07T12:34:56.789Z"], // epoch milliseconds
      [1_741_350_896_789.9, "2025-03-07T12:34:56.789Z"]
    ] as const)("reads %j as %s", (input, iso) => {
      const event = ok(decode("market.tick", { symbol: "BTCUSDT", price: 1, timestamp: input }))
      expect(formatEventTime(event.at)).toBe(iso)
    })

    it.each(["yesterday", "", "2025-13-01T00:00:00", "2025-02-30T00:00:00", "2025-02-29T00:00:00", "2025-03-07T24:00:00", "07/03/2025", -1, 1e20, "2025-03-07T12:34:56+5"])(
      "rejects the time %j, naming payload.timestamp",
      (input) => {
        const e = rejected(decode("market.tick", { symbol: "BTCUSDT", price: 1, timestamp: input }))
        expect(paths(e)).toEqual(["payload.timestamp"])
      }
    )

    it("takes the envelope's time when the payload has none, and prefers the payload's", () => {
      const { timestamp: _, ...untimed } = valid["trade.opened"].payload
      expect(ok(decode("trade.opened", untimed, { timestamp: "2025-03-08T00:00:00.000001" })).at).toBe(ms("2025-03-08T00:00:00Z"))
      expect(ok(decode("trade.opened", valid["trade.opened"].payload, { timestamp: "2025-03-08T00:00:00" })).at).toBe(WHEN_MS)
      // Neither: the caller's default (a replay's last event time), or a rejection naming the field.
      expect(ok(decode("trade.opened", untimed, {}, { defaultTime: 7 })).at).toBe(7)
      expect(ok(decode("trade.opened", untimed, { timestamp: "" }, { defaultTime: 7 })).at).toBe(7)
      expect(paths(rejected(decode("trade.opened", untimed)))).toEqual(["payload.timestamp"])
      expect(paths(rejected(decode("trade.opened", untimed, { timestamp: "soon" })))).toEqual(["timestamp"])
    })

    it("formats times as Z-suffixed ISO, and parses what Python writes", () => {
      expect(pythonTime(WHEN_MS)).toBe("2025-03-07T12:34:56.789000")
      expect(parseEventTime(pythonTime(WHEN_MS))).toBe(WHEN_MS)
      expect(formatEventTime(WHEN_MS)).toBe("2025-03-07T12:34:56.789Z")
    })
  })

  describe("envelope", () => {
    it("rejects an envelope without event_type, naming it; one without payload is a flat entry", () => {
      const e = rejected(decodeEnvelope({ payload: "{}" }))
      expect(paths(e)).toEqual(["event_type"])
      expect(e.eventType).toBe("unknown")
      expect(paths(rejected(decodeEnvelope({ price: "1" })))).toEqual(["event_type"])
      expect(paths(rejected(decodeEnvelope({ event_type: "market.tick" })))).toEqual(["symbol", "price"])
      expect(rejected(decodeEnvelope("not an object")).issues).not.toHaveLength(0)
    })

    it("rejects an unknown event type, a payload that is not a JSON object, and an oversized payload", () => {
      expect(paths(rejected(decode("trade.teleported", {})))).toEqual(["event_type"])
      expect(rejected(decode("market.tick", "{not json")).issues[0]!.message).toMatch(/not JSON/)
      expect(rejected(decode("market.tick", "[1,2]")).issues[0]!.message).toMatch(/JSON object/)
      expect(rejected(decode("market.tick", "null")).issues[0]!.message).toMatch(/JSON object/)
      const big = JSON.stringify({ ...valid["market.tick"].payload, pad: "x".repeat(200) })
      expect(rejected(decode("market.tick", big, {}, { maxPayloadChars: 100 })).issues[0]!.message).toMatch(/exceeds 100/)
    })

    it("builds incoming envelopes as the Python services send them", () => {
      const envelope = encodeIncoming("market.tick", valid["market.tick"].payload, { source: "market_data", traceId: "tr" })
      expect(envelope).toEqual({
        event_type: "market.tick",
        payload: JSON.stringify(valid["market.tick"].payload),
        trace_id: "tr",
        timestamp: WHEN,
        source: "market_data"
      })
      expect(ok(decodeEnvelope(envelope)).at).toBe(WHEN_MS)
    })

    it.each(types)("decodes every %s the schema can describe (Arbitrary.make) after encoding it as JSON", (type) => {
      const schema = IncomingPayloads[type] as unknown as Schema.Schema<Record<string, unknown>, Record<string, unknown>>
      FastCheck.assert(
        FastCheck.property(Arbitrary.make(schema), (payload) => {
          const json = JSON.stringify(Schema.encodeSync(schema)(payload))
          const event = ok(decodeEnvelope({ event_type: type, payload: json }, { defaultTime: 0 }))
          // JSON has no −0: compare both through JSON.
          expect(JSON.parse(JSON.stringify(event.payload))).toEqual(JSON.parse(JSON.stringify(payload)))
        }),
        { numRuns: 200 }
      )
    })
  })
})

describe("outgoing events", () => {
  /** Every number in a JSON value, with its path. */
  const numbersIn = (value: unknown, path = "$"): Array<[string, unknown]> => {
    if (Array.isArray(value)) return value.flatMap((v, i) => numbersIn(v, `${path}[${i}]`))
    if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => numbersIn(v, `${path}.${k}`))
    return typeof value === "number" || value === null ? [[path, value]] : []
  }

  const bt = Backtest.make({ initialCash: 10_000, sampleIntervalMs: 0 })
  const T = ms("2025-03-07T12:00:00")
  let closes: ReadonlyArray<ClosedTradeRecord> = []
  for (const envelope of [
    encodeIncoming("trade.opened", { trade_id: "a", symbol: "BTCUSDT", side: "BUY", entry_price: 40_000, quantity: 0.5, timestamp: pythonTime(T) }),
    encodeIncoming("trade.opened", { trade_id: "b", symbol: "ETHUSDT", side: "SELL", entry_price: 3_000, quantity: 2, timestamp: pythonTime(T + 1) }),
    encodeIncoming("market.tick", { symbol: "BTCUSDT", price: 39_000, timestamp: pythonTime(T + 2) }),
    encodeIncoming("trade.closed", { trade_id: "a", exit_price: 41_000, quantity: 0.25, timestamp: pythonTime(T + 3) })
  ]) {
    const decision = Backtest.feedEnvelope(bt, envelope)
    if (decision._tag === "Applied" && decision.changes.closes.length > 0) closes = decision.changes.closes
  }
  const drawdown = Backtest.drawdown(bt)
  const events: Array<OutgoingEvent> = [
    { type: "portfolio.snapshot_updated", payload: Backtest.snapshot(bt) },
    { type: "portfolio.pnl_updated", payload: Valuation.pnlUpdated(bt.portfolio, Backtest.valuation(bt), closes) },
    { type: "portfolio.exposure_updated", payload: Backtest.exposure(bt) },
    {
      type: "portfolio.drawdown_updated",
      payload: { ...drawdown, reason: "ess_tripped", threshold_pct: 5, ess_reason: "manual", alert_active: true, triggered_at: drawdown.timestamp },
      correlationId: "co-9"
    }
  ]

  it.each(events.map((e) => [e.type, e] as const))("encodes %s as JSON with finite numbers only, which decodes back", (type, event) => {
    const envelope = encodeOutgoing(event, T + 3, "portfolio_intelligence")
    expect(envelope).toMatchObject({ event_type: type, source: "portfolio_intelligence", timestamp: "2025-03-07T12:00:00.003Z" })
    expect(envelope.payload).not.toMatch(/NaN|Infinity/)
    const json: unknown = JSON.parse(envelope.payload)
    const numbers = numbersIn(json)
    expect(numbers.length).toBeGreaterThan(5)
    for (const [path, n] of numbers) expect(Number.isFinite(n), path).toBe(true)
    const schema = OutgoingPayloads[type] as unknown as Schema.Schema<unknown>
    expect(Schema.decodeUnknownSync(schema)(json)).toEqual(event.payload)
    if (event.correlationId !== undefined) expect(envelope.correlation_id).toBe(event.correlationId)
  })
})
