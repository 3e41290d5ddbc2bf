/**
 * The bus envelope shared with the Python services (DESIGN.md §5): an entry of a Redis stream
 * (or a `POST /api/events` body) with `event_type`, `payload` (the event as a JSON string),
 * `trace_id`, `timestamp`, `source` and optionally `correlation_id` — or a *flat* entry, with no
 * `payload`, whose other fields are the event's (see {@link decodeEnvelope}).
 *
 * @since 0.1.0
 */
import { Data, Either, ParseResult, Schema } from "effect"
import {
  IncomingPayloads,
  type IncomingEvent,
  type IncomingEventType
} from "./EventsIn.js"
import type { OutgoingEvent } from "./EventsOut.js"
import { jsonTextDeeperThan, nestingMessage, nestingOf } from "./internal/depth.js"
import { fastPayloadOf } from "./internal/fastPath.js"
import { flatPayload } from "./internal/flat.js"
import { quote } from "./internal/quote.js"
import { formatEventTime, IdString, MAX_ID_LENGTH, MAX_TEXT_LENGTH, parseEventTime, Text } from "./Primitives.js"

/**
 * How deep a payload may nest arrays and objects (the payload object itself is level 1).
 * Payloads are flat — one level, two for the odd nested extra field — so this is generous; past
 * it an entry is rejected (`payload: nested deeper than 32 levels`) before anything recurses
 * into it.
 */
export const MAX_PAYLOAD_DEPTH = 32

/**
 * An envelope as it travels: every field a string, `payload` a JSON string. `POST /api/events`
 * also accepts `payload` as a JSON object, or no `payload` at all (a flat entry).
 * `trace_id` and `correlation_id` are at most 128 characters, `source` at most 1 024.
 */
export const Envelope = Schema.Struct({
  event_type: Schema.String,
  payload: Schema.String,
  trace_id: Schema.optionalWith(IdString, { default: () => "" }),
  timestamp: Schema.optional(Schema.String),
  source: Schema.optionalWith(Text, { default: () => "unknown" }),
  correlation_id: Schema.optional(IdString)
}).annotations({ identifier: "Envelope", description: "A bus entry: payload is the event as a JSON string." })
/** @since 0.1.0 */
export type Envelope = typeof Envelope.Type

/**
 * The envelope as `POST /api/events` accepts it: `payload` a JSON string or object, or absent —
 * then the entry is flat: its fields other than `event_type`, `trace_id`, `correlation_id` and
 * `source` are the event's (`timestamp` is both).
 */
export const EnvelopeInput = Schema.Struct({
  ...Envelope.fields,
  payload: Schema.optional(Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown })))
}).annotations({
  identifier: "EnvelopeInput",
  description:
    "A bus entry: payload is the event as a JSON string or object. Without payload the entry is flat: its other fields (but event_type, trace_id, correlation_id, source) are the event's, numbers as decimal strings allowed."
})
/** @since 0.1.0 */
export type EnvelopeInput = typeof EnvelopeInput.Type

/** The envelope fields of a flat entry: its `timestamp` is read with the event's fields. */
const FlatEnvelope = Schema.Struct({
  event_type: Envelope.fields.event_type,
  trace_id: Envelope.fields.trace_id,
  source: Envelope.fields.source,
  correlation_id: Envelope.fields.correlation_id
})

/** One reason an event was rejected: the field's path (`payload.quantity`) and what is wrong. */
export interface EventIssue {
  readonly path: string
  readonly message: string
}

/**
 * An event that failed validation: which type it claimed, why, and each field at fault.
 * It is never applied; the service dead-letters and counts it.
 */
export class InvalidEvent extends Data.TaggedError("InvalidEvent")<{
  readonly eventType: string
  readonly reason: string
  readonly issues: ReadonlyArray<EventIssue>
}> {
  override get message(): string {
    return `invalid ${this.eventType} event: ${this.reason}`
  }
}

/**
 * The issues of a parse error, one per fault. An optional field that is present but wrong fails
 * both members of its `X | undefined` union; the "Expected undefined" half says nothing useful
 * and is dropped when the field has another issue. Likewise a member's bare "Expected null,
 * actual …" (or "Expected number, …") is dropped when another member says what is wrong
 * ("must be at most 1024 characters"), which also keeps the value out of the message.
 */
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

const describe = (issues: ReadonlyArray<EventIssue>): string =>
  issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")

/** Options of {@link decodeEnvelope}. */
export interface DecodeOptions {
  /**
   * Event time to use when neither the payload nor the envelope carries one (epoch ms). The
   * event is then decoded with `timed: false`.
   */
  readonly defaultTime?: number
  /** Largest accepted payload in characters (default 1 000 000); also bounds the values of an object payload. */
  readonly maxPayloadChars?: number
  /**
   * The event type of the stream the entry was read from (`trade.closed` for
   * `quantum:stream:trade.closed`). When given, an entry whose `event_type` differs is rejected:
   * `event_type: "<x>" read from the stream of "<y>"`.
   */
  readonly streamType?: string
  /**
   * The caller's idempotency key (the HTTP `Idempotency-Key` header): 1 to 128 characters, else
   * the event is rejected naming `Idempotency-Key`. Copied to `IncomingEvent.idempotencyKey`.
   */
  readonly idempotencyKey?: string
}

// Every parser is built once: `decodeUnknownEither(schema, options)` compiles the schema.
const decodeEnvelopeInput = Schema.decodeUnknownEither(EnvelopeInput, { errors: "all" })
const decodeFlatEnvelope = Schema.decodeUnknownEither(FlatEnvelope, { errors: "all" })
const payloadOptions = { errors: "all", onExcessProperty: "ignore" } as const
const decodePayload: { readonly [T in IncomingEventType]: (u: unknown) => Either.Either<unknown, ParseResult.ParseError> } = {
  "trade.opened": Schema.decodeUnknownEither(IncomingPayloads["trade.opened"], payloadOptions),
  "trade.closed": Schema.decodeUnknownEither(IncomingPayloads["trade.closed"], payloadOptions),
  "order.executed": Schema.decodeUnknownEither(IncomingPayloads["order.executed"], payloadOptions),
  "ess.tripped": Schema.decodeUnknownEither(IncomingPayloads["ess.tripped"], payloadOptions),
  "market.tick": Schema.decodeUnknownEither(IncomingPayloads["market.tick"], payloadOptions)
}

const invalid = (eventType: string, issues: ReadonlyArray<EventIssue>): Either.Either<never, InvalidEvent> =>
  Either.left(new InvalidEvent({ eventType, reason: describe(issues), issues }))

/** An envelope's fields as they may arrive (`undefined` = absent). */
interface EnvelopeFields {
  readonly event_type?: unknown
  readonly payload?: unknown
  readonly trace_id?: unknown
  readonly timestamp?: unknown
  readonly source?: unknown
  readonly correlation_id?: unknown
}

const DEFAULT_MAX_PAYLOAD_CHARS = 1_000_000

/** The type an entry claims, for the error of an entry rejected before its type is known good. */
const claimedType = (raw: unknown): string =>
  typeof raw === "object" && raw !== null && typeof (raw as Record<string, unknown>)["event_type"] === "string"
    ? String((raw as Record<string, unknown>)["event_type"])
    : "unknown"

/**
 * The first own field of an entry whose value nests arrays and objects deeper than
 * {@link MAX_PAYLOAD_DEPTH} levels (the value itself is level 1, as an object payload is), or
 * holds more than `maxValues` values, as an issue naming the field. Strings are not looked into
 * here: a JSON payload string is scanned before it is parsed.
 */
const nestingIssue = (entry: object, maxValues: number): EventIssue | undefined => {
  // `for…in` allocates nothing (entries are read by the million); it also lists inherited
  // enumerable fields, which are skipped.
  for (const name in entry) {
    const value: unknown = (entry as Record<string, unknown>)[name]
    if (typeof value !== "object" || value === null || !Object.hasOwn(entry, name)) continue
    const fault = nestingOf(value, MAX_PAYLOAD_DEPTH, maxValues)
    if (fault !== undefined) return { path: name, message: nestingMessage(fault, MAX_PAYLOAD_DEPTH, maxValues) }
  }
  return undefined
}

/**
 * Decodes a raw envelope (an object of strings, as read from a stream, or a parsed HTTP body)
 * into an {@link IncomingEvent}, or an {@link InvalidEvent} naming every field at fault.
 *
 * - **Payload form**: `payload` is the event as a JSON string (or, over HTTP, an object).
 *   Errors name `payload.<field>`.
 * - **Flat form** (no `payload`): the entry's fields other than `event_type`, `trace_id`,
 *   `correlation_id` and `source` are the event's (`timestamp` is both). Values are strings as
 *   Python's `str()` writes them: numbers as decimal strings; `"None"` is `null` in a field that
 *   takes `null` and absent elsewhere; `"True"`/`"False"` (or `"true"`/`"false"`) in a boolean
 *   field; `timestamp: ""` is absent. Errors name the field itself (`exit_price`).
 *
 * Both forms accept numbers as JSON numbers or decimal strings. Before any schema runs, a value
 * nested deeper than {@link MAX_PAYLOAD_DEPTH} levels is rejected (checked without recursion).
 * The event's `at` is the payload's `timestamp`, else the envelope's, else `defaultTime`
 * (`timed` says which). See {@link DecodeOptions} for `streamType` and `idempotencyKey`.
 *
 * Well-formed envelopes and payloads take a hand-written path that accepts exactly what the
 * schemas accept, and gives the same values; anything else is decoded with the schemas, which
 * name the fields at fault.
 *
 * @example
 * const result = decodeEnvelope({ event_type: "market.tick", payload: '{"symbol":"BTCUSDT","price":42000}' })
 * const flat = decodeEnvelope({ event_type: "market.tick", symbol: "BTCUSDT", price: "42000.5", timestamp: "2025-03-07T09:00:00.123456" })
 */
export const decodeEnvelope = (
  raw: unknown,
  options: DecodeOptions = {}
): Either.Either<IncomingEvent, InvalidEvent> => {
  if (typeof raw !== "object" || raw === null) return decodeBySchema(raw, options)
  // Nothing nested deeper than the bound reaches a schema, a formatter or the domain.
  const deep = nestingIssue(raw, options.maxPayloadChars ?? DEFAULT_MAX_PAYLOAD_CHARS)
  if (deep !== undefined) return invalid(claimedType(raw), [deep])
  // Fast path: a plain object whose fields have the envelope's types. Own fields only, as the
  // schema reads them: with no prototype but Object's, an inherited field is an absent one.
  const proto: unknown = Object.getPrototypeOf(raw)
  if (proto === Object.prototype || proto === null) {
    const { event_type, payload, trace_id, timestamp, source, correlation_id } = raw as EnvelopeFields
    if (
      typeof event_type === "string" &&
      (trace_id === undefined || (typeof trace_id === "string" && trace_id.length <= MAX_ID_LENGTH)) &&
      (source === undefined || (typeof source === "string" && source.length <= MAX_TEXT_LENGTH)) &&
      (correlation_id === undefined || (typeof correlation_id === "string" && correlation_id.length <= MAX_ID_LENGTH))
    ) {
      if (payload === undefined) {
        return decodeEvent(event_type, raw, true, trace_id ?? "", undefined, source ?? "unknown", correlation_id, options)
      }
      if (
        (timestamp === undefined || typeof timestamp === "string") &&
        (typeof payload === "string" || (typeof payload === "object" && payload !== null && !Array.isArray(payload)))
      ) {
        return decodeEvent(
          event_type,
          typeof payload === "string" ? payload : copyRecord(payload),
          false,
          trace_id ?? "",
          timestamp,
          source ?? "unknown",
          correlation_id,
          options
        )
      }
    }
  }
  return decodeBySchema(raw, options)
}

/** {@link decodeEnvelope} with the schemas, which name every field at fault. */
const decodeBySchema = (raw: unknown, options: DecodeOptions): Either.Either<IncomingEvent, InvalidEvent> => {
  // A flat entry has no own `payload` (an inherited one is absent, as the schema reads it).
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && (!Object.hasOwn(raw, "payload") || (raw as EnvelopeFields).payload === undefined)) {
    const flat = decodeFlatEnvelope(raw)
    if (Either.isLeft(flat)) return invalid(claimedType(raw), issuesOf(flat.left, ""))
    const env = flat.right
    return decodeEvent(env.event_type, raw, true, env.trace_id, undefined, env.source, env.correlation_id, options)
  }
  const envelope = decodeEnvelopeInput(raw)
  if (Either.isLeft(envelope)) return invalid(claimedType(raw), issuesOf(envelope.left, ""))
  const env = envelope.right
  return decodeEvent(env.event_type, env.payload!, false, env.trace_id, env.timestamp, env.source, env.correlation_id, options)
}

/**
 * A payload object as the envelope schema's `Record` gives it: its own enumerable fields (but
 * `__proto__`, which no payload has and which, assigned, would set the copy's prototype).
 */
const copyRecord = (payload: object): Record<string, unknown> => {
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(payload)) if (key !== "__proto__") copy[key] = (payload as Record<string, unknown>)[key]
  return copy
}

/**
 * The rest of {@link decodeEnvelope}, once the envelope's fields are known good: `body` is the
 * payload (a JSON string, or an object), or with `flat` the entry itself.
 */
const decodeEvent = (
  type: string,
  body: string | object,
  flat: boolean,
  traceId: string,
  timestamp: string | undefined,
  source: string,
  correlationId: string | undefined,
  options: DecodeOptions
): Either.Either<IncomingEvent, InvalidEvent> => {
  if (options.streamType !== undefined && type !== options.streamType) {
    return invalid(type, [{ path: "event_type", message: `${quote(type)} read from the stream of ${quote(options.streamType)}` }])
  }
  const decodeFast = fastPayloadOf(type)
  if (decodeFast === undefined) return invalid(type, [{ path: "event_type", message: `unknown event type ${quote(type)}` }])
  const key = options.idempotencyKey
  if (key !== undefined && (key.length === 0 || key.length > MAX_ID_LENGTH)) {
    return invalid(type, [{ path: "Idempotency-Key", message: `must be 1 to ${MAX_ID_LENGTH} characters, got ${key.length}` }])
  }
  let payload: unknown
  // JSON.parse never yields `undefined` values; an object sent as it is may hold some, which the
  // fast path does not tell from absent fields (a flat entry's are left out).
  let fast = true
  if (flat) {
    payload = flatPayload(type as IncomingEventType, body as object)
  } else if (typeof body === "string") {
    const max = options.maxPayloadChars ?? DEFAULT_MAX_PAYLOAD_CHARS
    if (body.length > max) {
      return invalid(type, [{ path: "payload", message: `payload of ${body.length} characters exceeds ${max}` }])
    }
    if (jsonTextDeeperThan(body, MAX_PAYLOAD_DEPTH)) {
      return invalid(type, [{ path: "payload", message: nestingMessage("deep", MAX_PAYLOAD_DEPTH, max) }])
    }
    try {
      payload = JSON.parse(body)
    } catch (e) {
      return invalid(type, [{ path: "payload", message: `not JSON: ${(e as Error).message}` }])
    }
    if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
      return invalid(type, [{ path: "payload", message: "must be a JSON object" }])
    }
  } else {
    payload = body
    fast = !Object.values(body).includes(undefined)
  }
  let decoded: IncomingEvent["payload"] | undefined = fast ? decodeFast(payload as object) : undefined
  if (decoded === undefined) {
    const bySchema = decodePayload[type as IncomingEventType](payload)
    if (Either.isLeft(bySchema)) return invalid(type, issuesOf(bySchema.left, flat ? "" : "payload"))
    decoded = bySchema.right as IncomingEvent["payload"]
  }
  let at = decoded.timestamp
  if (at === undefined && timestamp !== undefined && timestamp !== "") {
    at = parseEventTime(timestamp)
    if (at === undefined) {
      return invalid(type, [{ path: "timestamp", message: `must be an ISO 8601 time, got ${quote(timestamp)}` }])
    }
  }
  const timed = at !== undefined
  at ??= options.defaultTime
  if (at === undefined) {
    return invalid(type, [
      flat ? { path: "timestamp", message: "is missing" } : { path: "payload.timestamp", message: "is missing, and the envelope has no timestamp" }
    ])
  }
  const event = { type, payload: decoded, at, traceId, correlationId, source, timed } as IncomingEvent
  if (key !== undefined) (event as { idempotencyKey?: string }).idempotencyKey = key
  return Either.right(event)
}

/**
 * Builds the envelope of an outgoing event: `payload` encoded with its schema as a JSON string,
 * `timestamp` the `Z`-suffixed ISO time of `at`.
 */
export const encodeOutgoing = (event: OutgoingEvent, at: number, source: string): Envelope => {
  // The outgoing schemas have no transformations (their encoded form is their type), so the
  // payload is written as it is: validating a snapshot of thousands of positions on every
  // publication cost more than building it. Tests check each payload decodes with its schema.
  const payload = event.payload
  const envelope: {
    event_type: string
    payload: string
    trace_id: string
    timestamp: string
    source: string
    correlation_id?: string
  } = {
    event_type: event.type,
    payload: JSON.stringify(payload),
    trace_id: event.traceId ?? "",
    timestamp: formatEventTime(at),
    source
  }
  if (event.correlationId !== undefined) envelope.correlation_id = event.correlationId
  return envelope
}

/**
 * Builds the envelope of an incoming event (used by tests, replays and publishers written in
 * TypeScript): the payload encoded as the Python services would send it.
 */
export const encodeIncoming = (
  type: IncomingEventType,
  payload: Record<string, unknown>,
  options: { readonly source?: string; readonly traceId?: string; readonly timestamp?: string } = {}
): Envelope => ({
  event_type: type,
  payload: JSON.stringify(payload),
  trace_id: options.traceId ?? "",
  timestamp: options.timestamp ?? (typeof payload["timestamp"] === "string" ? payload["timestamp"] : ""),
  source: options.source ?? "test"
})

/**
 * Whether a JSON text opens more than `max` arrays or objects inside one another (brackets in
 * strings do not count): one pass, no recursion, stops at the first bracket past `max` — what
 * `decodeEnvelope` checks a payload with, and the HTTP edge a body, before anything recurses.
 *
 * @example
 * jsonDeeperThan("[".repeat(100_000) + "]".repeat(100_000), 34) // true, at once
 */
export const jsonDeeperThan: (text: string, max: number) => boolean = jsonTextDeeperThan
