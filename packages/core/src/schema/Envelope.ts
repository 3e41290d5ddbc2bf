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

const isIncomingType = (type: string): type is IncomingEventType => Object.hasOwn(IncomingPayloads, type)

/** Options of {@link decodeEnvelope}. */
export interface DecodeOptions {
  /** Event time to use when neither the payload nor the envelope carries one (epoch ms). */
  readonly defaultTime?: number
  /** Largest accepted payload in characters (default 1 000 000). */
  readonly maxPayloadChars?: number
}

/**
 * Decodes a raw envelope (an object of strings, as read from a stream, or a parsed HTTP body)
 * into an {@link IncomingEvent}, or an {@link InvalidEvent} naming every field at fault.
 *
 * @example
 * const result = decodeEnvelope({ event_type: "market.tick", payload: '{"symbol":"BTCUSDT","price":42000}' })
 */
export const decodeEnvelope = (
  raw: unknown,
  options: DecodeOptions = {}
): Either.Either<IncomingEvent, InvalidEvent> => {
  const envelope = Schema.decodeUnknownEither(EnvelopeInput, { errors: "all" })(raw)
  if (Either.isLeft(envelope)) {
    const issues = issuesOf(envelope.left, "")
    const claimed =
      typeof raw === "object" && raw !== null && typeof (raw as Record<string, unknown>)["event_type"] === "string"
        ? String((raw as Record<string, unknown>)["event_type"])
        : "unknown"
    return Either.left(new InvalidEvent({ eventType: claimed, reason: describe(issues), issues }))
  }
  const env = envelope.right
  const type = env.event_type
  if (!isIncomingType(type)) {
    const issues = [{ path: "event_type", message: `unknown event type ${JSON.stringify(type)}` }]
    return Either.left(new InvalidEvent({ eventType: type, reason: describe(issues), issues }))
  }
  let payload: unknown = env.payload
  if (typeof env.payload === "string") {
    const max = options.maxPayloadChars ?? 1_000_000
    if (env.payload.length > max) {
      const issues = [{ path: "payload", message: `payload of ${env.payload.length} characters exceeds ${max}` }]
      return Either.left(new InvalidEvent({ eventType: type, reason: describe(issues), issues }))
    }
    try {
      payload = JSON.parse(env.payload)
    } catch (e) {
      const issues = [{ path: "payload", message: `not JSON: ${(e as Error).message}` }]
      return Either.left(new InvalidEvent({ eventType: type, reason: describe(issues), issues }))
    }
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    const issues = [{ path: "payload", message: "must be a JSON object" }]
    return Either.left(new InvalidEvent({ eventType: type, reason: describe(issues), issues }))
  }
  const decoded = Schema.decodeUnknownEither(IncomingPayloads[type] as Schema.Schema<any, any, never>, {
    errors: "all",
    onExcessProperty: "ignore"
  })(payload)
  if (Either.isLeft(decoded)) {
    const issues = issuesOf(decoded.left, "payload")
    return Either.left(new InvalidEvent({ eventType: type, reason: describe(issues), issues }))
  }
  const payloadTime: number | undefined = decoded.right.timestamp
  let at = payloadTime
  if (at === undefined && env.timestamp !== undefined && env.timestamp !== "") {
    at = parseEventTime(env.timestamp)
    if (at === undefined) {
      const issues = [{ path: "timestamp", message: `must be an ISO 8601 time, got ${JSON.stringify(env.timestamp)}` }]
      return Either.left(new InvalidEvent({ eventType: type, reason: describe(issues), issues }))
    }
  }
  at ??= options.defaultTime
  if (at === undefined) {
    const issues = [{ path: "payload.timestamp", message: "is missing, and the envelope has no timestamp" }]
    return Either.left(new InvalidEvent({ eventType: type, reason: describe(issues), issues }))
  }
  return Either.right({
    type,
    payload: decoded.right,
    at,
    traceId: env.trace_id,
    correlationId: env.correlation_id,
    source: env.source
  } as IncomingEvent)
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
