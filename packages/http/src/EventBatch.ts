/**
 * The array form of `POST /api/events`: a JSON array of up to {@link MAX_EVENTS} envelopes,
 * ingested together (they join one group commit of the service) and answered one
 * `IngestResult` each, in order, with the count of each status.
 *
 * @since 0.1.0
 */
import { EnvelopeInput, IngestResult } from "@portfolio/core"
import { Schema } from "effect"
import { PayloadTooLarge } from "./ApiError.js"

/** The most envelopes one request may carry; above it the request is answered 413. */
export const MAX_EVENTS = 10_000

/** The request body of the array form. */
export const EnvelopeBatch = Schema.Array(EnvelopeInput).pipe(Schema.maxItems(MAX_EVENTS)).annotations({
  identifier: "EnvelopeBatch",
  title: "EnvelopeBatch",
  description: `Up to ${MAX_EVENTS} envelopes, ingested in order and answered one result each.`
})

const Count = Schema.NonNegativeInt

/** The answer to the array form: how many of each status, then the result of each envelope in order. */
export const IngestBatchResult = Schema.Struct({
  applied: Count,
  duplicate: Count,
  ignored: Count,
  parked: Count,
  rejected: Count,
  results: Schema.Array(IngestResult).annotations({ description: "One result per envelope, in the order sent" })
}).annotations({
  identifier: "IngestBatchResult",
  description: "Accepted: the count of each status, and each envelope's result in order (a rejected one says why)."
})
/** @since 0.1.0 */
export type IngestBatchResult = typeof IngestBatchResult.Type

/** The answer for `results`: the count of each status beside them. */
export const summarize = (results: ReadonlyArray<IngestResult>): IngestBatchResult => {
  const counts = { applied: 0, duplicate: 0, ignored: 0, parked: 0, rejected: 0 }
  for (const r of results) counts[r.status]++
  return { ...counts, results }
}

/** The 413 of an array longer than {@link MAX_EVENTS}. */
export const tooMany = (received: number): PayloadTooLarge =>
  new PayloadTooLarge({
    message: `the array holds ${received} events; at most ${MAX_EVENTS} are taken in one request: split it`,
    details: { limit_events: MAX_EVENTS, received_events: received }
  })
