/**
 * The bus envelope shared with the Python services (DESIGN.md §5): an entry of a Redis stream
 * (or a `POST /api/events` body) with `event_type`, `payload` (the event as a JSON string),
 * `trace_id`, `timestamp`, `source` and optionally `correlation_id`.
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
import { fastPayloadOf } from "./internal/fastPath.js"
import { formatEventTime, parseEventTime } from "./Primitives.js"

/**
 * An envelope as it travels: every field a string, `payload` a JSON string. `POST /api/events`
 * also accepts `payload` as a JSON object.
 */
export const Envelope = Schema.Struct({
  event_type: Schema.String,
  payload: Schema.String,
  trace_id: Schema.optionalWith(Schema.String, { default: () => "" }),
  timestamp: Schema.optional(Schema.String),
  source: Schema.optionalWith(Schema.String, { default: () => "unknown" }),
  correlation_id: Schema.optional(Schema.String)
}).annotations({ identifier: "Envelope", description: "A bus entry: payload is the event as a JSON string." })
/** @since 0.1.0 */
export type Envelope = typeof Envelope.Type

/** The envelope as `POST /api/events` accepts it: `payload` a JSON string or object. */
export const EnvelopeInput = Schema.Struct({
  ...Envelope.fields,
  payload: Schema.Union(Schema.String, Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}).annotations({ identifier: "EnvelopeInput" })
/** @since 0.1.0 */
export type EnvelopeInput = typeof EnvelopeInput.Type

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
 * and is dropped when the field has another issue.
 */
const issuesOf = (error: ParseResult.ParseError, prefix: string): ReadonlyArray<EventIssue> => {
  const all = ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter((p) => p !== "").join("."),
    message: issue.message
  }))
  const undefinedHalf = (i: EventIssue) => i.message.startsWith("Expected undefined, actual")
  return all.filter((i) => !undefinedHalf(i) || !all.some((j) => j.path === i.path && !undefinedHalf(j)))
}

const describe = (issues: ReadonlyArray<EventIssue>): string =>
  issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")

/** Options of {@link decodeEnvelope}. */
export interface DecodeOptions {
  /** Event time to use when neither the payload nor the envelope carries one (epoch ms). */
  readonly defaultTime?: number
  /** Largest accepted payload in characters (default 1 000 000). */
  readonly maxPayloadChars?: number
}

// Every parser is built once: `decodeUnknownEither(schema, options)` compiles the schema.
const decodeEnvelopeInput = Schema.decodeUnknownEither(EnvelopeInput, { errors: "all" })
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

/**
 * Decodes a raw envelope (an object of strings, as read from a stream, or a parsed HTTP body)
 * into an {@link IncomingEvent}, or an {@link InvalidEvent} naming every field at fault.
 *
 * Well-formed envelopes and payloads take a hand-written path that accepts exactly what the
 * schemas accept, and gives the same values; anything else is decoded with the schemas, which
 * name the fields at fault.
 *
 * @example
 * const result = decodeEnvelope({ event_type: "market.tick", payload: '{"symbol":"BTCUSDT","price":42000}' })
 */
export const decodeEnvelope = (
  raw: unknown,
  options: DecodeOptions = {}
): Either.Either<IncomingEvent, InvalidEvent> => {
  // Fast path: a plain object whose fields have the envelope's types. Own fields only, as the
  // schema reads them: with no prototype but Object's, an inherited field is an absent one.
  if (typeof raw === "object" && raw !== null) {
    const proto: unknown = Object.getPrototypeOf(raw)
    if (proto === Object.prototype || proto === null) {
      const { event_type, payload, trace_id, timestamp, source, correlation_id } = raw as EnvelopeFields
      if (
        typeof event_type === "string" &&
        (typeof payload === "string" || (typeof payload === "object" && payload !== null && !Array.isArray(payload))) &&
        (trace_id === undefined || typeof trace_id === "string") &&
        (timestamp === undefined || typeof timestamp === "string") &&
        (source === undefined || typeof source === "string") &&
        (correlation_id === undefined || typeof correlation_id === "string")
      ) {
        return decodeEvent(
          event_type,
          typeof payload === "string" ? payload : copyRecord(payload),
          trace_id ?? "",
          timestamp,
          source ?? "unknown",
          correlation_id,
          options
        )
      }
    }
  }
  const envelope = decodeEnvelopeInput(raw)
  if (Either.isLeft(envelope)) {
    const claimed =
      typeof raw === "object" && raw !== null && typeof (raw as Record<string, unknown>)["event_type"] === "string"
        ? String((raw as Record<string, unknown>)["event_type"])
        : "unknown"
    return invalid(claimed, issuesOf(envelope.left, ""))
  }
  const env = envelope.right
  return decodeEvent(env.event_type, env.payload, env.trace_id, env.timestamp, env.source, env.correlation_id, options)
}

/** A payload object as the envelope schema's `Record` gives it: its own enumerable fields. */
const copyRecord = (payload: object): Record<string, unknown> => {
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(payload)) copy[key] = (payload as Record<string, unknown>)[key]
  return copy
}

/** The rest of {@link decodeEnvelope}, once the envelope's fields are known good. */
const decodeEvent = (
  type: string,
  rawPayload: string | { readonly [key: string]: unknown },
  traceId: string,
  timestamp: string | undefined,
  source: string,
  correlationId: string | undefined,
  options: DecodeOptions
): Either.Either<IncomingEvent, InvalidEvent> => {
  const decodeFast = fastPayloadOf(type)
  if (decodeFast === undefined) return invalid(type, [{ path: "event_type", message: `unknown event type ${JSON.stringify(type)}` }])
  let payload: unknown = rawPayload
  // JSON.parse never yields `undefined` values; an object sent as it is may hold some, which the
  // fast path does not tell from absent fields.
  let fast = true
  if (typeof rawPayload === "string") {
    const max = options.maxPayloadChars ?? 1_000_000
    if (rawPayload.length > max) {
      return invalid(type, [{ path: "payload", message: `payload of ${rawPayload.length} characters exceeds ${max}` }])
    }
    try {
      payload = JSON.parse(rawPayload)
    } catch (e) {
      return invalid(type, [{ path: "payload", message: `not JSON: ${(e as Error).message}` }])
    }
  } else {
    fast = !Object.values(rawPayload).includes(undefined)
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    return invalid(type, [{ path: "payload", message: "must be a JSON object" }])
  }
  let decoded: IncomingEvent["payload"] | undefined = fast ? decodeFast(payload) : undefined
  if (decoded === undefined) {
    const bySchema = decodePayload[type as IncomingEventType](payload)
    if (Either.isLeft(bySchema)) return invalid(type, issuesOf(bySchema.left, "payload"))
    decoded = bySchema.right as IncomingEvent["payload"]
  }
  let at = decoded.timestamp
  if (at === undefined && timestamp !== undefined && timestamp !== "") {
    at = parseEventTime(timestamp)
    if (at === undefined) {
      return invalid(type, [{ path: "timestamp", message: `must be an ISO 8601 time, got ${JSON.stringify(timestamp)}` }])
    }
  }
  at ??= options.defaultTime
  if (at === undefined) return invalid(type, [{ path: "payload.timestamp", message: "is missing, and the envelope has no timestamp" }])
  return Either.right({ type, payload: decoded, at, traceId, correlationId, source } as IncomingEvent)
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
