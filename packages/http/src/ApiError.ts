/**
 * The errors the HTTP API answers with. Every one travels as the JSON body
 * `{ error, message, details? }` — `error` a stable snake_case code a client can branch on,
 * `message` a sentence for a human, `details` optional facts (the fields at fault, the limit
 * that was exceeded) — with its HTTP status. The one exception widens the shape: a rejected
 * event (422) is also an `IngestResult`, so a client reading either shape understands it.
 *
 * Each error is a `Schema.TaggedError` value; its `wire` schema (annotated with the status)
 * is what the API definition declares, so the OpenAPI document shows exactly what is sent.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { IngestResult } from "@portfolio/core"
import { Schema } from "effect"

const fields = {
  message: Schema.String,
  details: Schema.optional(Schema.Unknown)
}

/** The JSON body of an error answer with the code `code`. */
export const ErrorBody = <Code extends string>(code: Code) =>
  Schema.Struct({
    error: Schema.Literal(code),
    message: Schema.String,
    details: Schema.optional(Schema.Unknown)
  })

/** The body is not JSON, is empty, nests too deep, or is not the JSON value expected; or a header is misused. */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", fields) {}
/** The API key is missing or wrong. */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", fields) {}
/** No route has this path. */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", fields) {}
/** The path exists, but not for this method (the answer carries an `Allow` header). */
export class MethodNotAllowed extends Schema.TaggedError<MethodNotAllowed>()("MethodNotAllowed", fields) {}
/** The body is larger than `PORTFOLIO_HTTP_MAX_BODY_BYTES`, or an array of events longer than 10 000. */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", fields) {}
/** The body is not `application/json`. */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", fields) {}
/**
 * No cash balance was ever read (an exchange that has not answered since start), so equity
 * cannot be computed: the portfolio endpoints answer 503 rather than an equity of 0. `details`
 * holds the source's `reason` (URLs and credentials removed), `retryable` and its `code`, if any.
 */
export class CashUnavailable extends Schema.TaggedError<CashUnavailable>()("CashUnavailable", fields) {}
/**
 * The store could not take the events after every retry (a lost database, a lock held too
 * long): nothing of them was applied; the client should send them again later (those already
 * stored answer duplicate). The store's error is in the log, never in the answer.
 */
export class StoreUnavailable extends Schema.TaggedError<StoreUnavailable>()("StoreUnavailable", fields) {}
/** Something failed inside the service; the details are in its log, never in the answer. */
export class InternalError extends Schema.TaggedError<InternalError>()("InternalError", fields) {}

/** An error of this module that carries `message` and `details`. */
export type ApiError =
  | BadRequest
  | Unauthorized
  | NotFound
  | MethodNotAllowed
  | PayloadTooLarge
  | UnsupportedMediaType
  | CashUnavailable
  | StoreUnavailable
  | InternalError

interface ErrorClass<Self> extends Schema.Schema<Self, any, never> {
  new (props: { readonly message: string; readonly details?: unknown }): Self
}

/** The code and status of each error, by tag. */
export const codes = {
  BadRequest: { code: "bad_request", status: 400 },
  Unauthorized: { code: "unauthorized", status: 401 },
  NotFound: { code: "not_found", status: 404 },
  MethodNotAllowed: { code: "method_not_allowed", status: 405 },
  PayloadTooLarge: { code: "payload_too_large", status: 413 },
  UnsupportedMediaType: { code: "unsupported_media_type", status: 415 },
  InternalError: { code: "internal_error", status: 500 },
  CashUnavailable: { code: "cash_unavailable", status: 503 },
  StoreUnavailable: { code: "store_unavailable", status: 503 }
} as const satisfies Record<ApiError["_tag"], { code: string; status: number }>

const wire = <Self extends ApiError>(
  Class: ErrorClass<Self>,
  tag: Self["_tag"],
  description: string
) => {
  const { code, status } = codes[tag]
  return Schema.transform(ErrorBody(code), Schema.typeSchema(Class), {
    strict: false,
    decode: (body) => new Class(body.details === undefined ? { message: body.message } : { message: body.message, details: body.details }),
    encode: (error) => ({ error: code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) })
  }).annotations(HttpApiSchema.annotations({ status, description }))
}

/** `BadRequest` on the wire: 400. */
export const BadRequestWire = wire(
  BadRequest,
  "BadRequest",
  "The body is empty, not valid UTF-8 JSON, or nests arrays and objects deeper than 34 levels; or an `Idempotency-Key` header came with an array of events."
)
/** `Unauthorized` on the wire: 401. */
export const UnauthorizedWire = wire(Unauthorized, "Unauthorized", "The API key is missing or wrong (send `X-API-Key` or `Authorization: Bearer`).")
/** `PayloadTooLarge` on the wire: 413. */
export const PayloadTooLargeWire = wire(PayloadTooLarge, "PayloadTooLarge", "The body exceeds PORTFOLIO_HTTP_MAX_BODY_BYTES, or the array holds more than 10 000 events.")
/** `UnsupportedMediaType` on the wire: 415. */
export const UnsupportedMediaTypeWire = wire(UnsupportedMediaType, "UnsupportedMediaType", "The body is not application/json.")
/** `CashUnavailable` on the wire: 503. */
export const CashUnavailableWire = wire(
  CashUnavailable,
  "CashUnavailable",
  "No cash balance was ever read from the exchange (it has not answered since start), so equity cannot be computed; retry later. Once one was read, an outage is served with the last known cash marked `cash_stale_since`."
)
/** {@link StoreUnavailable} on the wire: 503 `{ error: "store_unavailable", message }`. */
export const StoreUnavailableWire = wire(
  StoreUnavailable,
  "StoreUnavailable",
  "The store could not take the events after every retry; nothing of them was applied: send them again later (those already stored answer duplicate)."
)
/** `InternalError` on the wire: 500. */
export const InternalErrorWire = wire(InternalError, "InternalError", "The service failed; details are in its log.")

/**
 * `POST /api/events` answers 422 with this when the event is invalid: the `IngestResult`
 * (status `rejected`, the reason, each field at fault) plus `error` and `message`.
 */
export class EventRejected extends Schema.TaggedError<EventRejected>()("EventRejected", {
  result: IngestResult
}) {
  override get message(): string {
    return this.result.reason ?? "invalid event"
  }
}

/** `EventRejected` on the wire: 422, an `IngestResult` with `error: "invalid_event"` and `message`. */
export const EventRejectedWire = Schema.transform(
  Schema.Struct({
    error: Schema.Literal("invalid_event"),
    message: Schema.String,
    ...IngestResult.fields
  }).annotations({ identifier: "EventRejected" }),
  Schema.typeSchema(EventRejected),
  {
    strict: false,
    decode: ({ error: _, message: __, ...result }) => new EventRejected({ result }),
    encode: (e) => ({ error: "invalid_event" as const, message: e.message, ...e.result })
  }
).annotations(HttpApiSchema.annotations({ status: 422, description: "The event is invalid: nothing changed; the reason and each field at fault are given." }))

/**
 * The JSON answer for an error outside the API's handlers (unknown route, wrong method,
 * failures of the edge): same body, same status as inside.
 */
export const toResponse = (error: ApiError, headers: Record<string, string> = {}): HttpServerResponse.HttpServerResponse => {
  const answer = toAnswer(error)
  return HttpServerResponse.unsafeJson(answer.body, { status: answer.status, headers })
}

/** A status and the JSON body to send with it: what both the platform's route and the fast lane answer. */
export interface Answer {
  readonly status: number
  readonly body: unknown
}

/** The status and `{ error, message, details? }` body of `error`; for {@link EventRejected}, 422 with the result. */
export const toAnswer = (error: ApiError | EventRejected): Answer => {
  if (error._tag === "EventRejected") return { status: 422, body: { error: "invalid_event", message: error.message, ...error.result } }
  const { code, status } = codes[error._tag]
  return {
    status,
    body: error.details === undefined ? { error: code, message: error.message } : { error: code, message: error.message, details: error.details }
  }
}

/** The 503 of a query made while no cash was ever read, with the source's reason (already free of URLs and credentials). */
export const fromCashUnavailable = (error: { readonly message: string; readonly reason: string; readonly retryable: boolean; readonly code?: string | number | undefined }): CashUnavailable =>
  new CashUnavailable({
    message: `${error.message}; retry later`,
    details: { reason: error.reason, retryable: error.retryable, ...(error.code === undefined ? {} : { code: error.code }) }
  })
