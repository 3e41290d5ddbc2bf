/**
 * What `POST /api/events` answers for a body already read and parsed: shared by the API's
 * route and the fast lane, so both answer alike. One envelope goes the same way as an array of
 * one, so that concurrent requests share the service's group commit. Once the body is in hand
 * the events are ingested to the end even if the client leaves: persist and apply must not be
 * separated by an interruption.
 */
import type { IngestResult, PortfolioServiceShape, StoreError } from "@portfolio/core"
import { Effect, Either } from "effect"
import { type Answer, BadRequest, EventRejected, StoreUnavailable, toAnswer } from "../ApiError.js"
import * as EventBatch from "../EventBatch.js"

/** What is answered before anything is ingested, if anything: a bad combination of body and header. */
const refusal = (body: unknown, idempotencyKey: string | undefined): Answer | undefined => {
  if (!Array.isArray(body)) return undefined
  if (idempotencyKey !== undefined) {
    return toAnswer(
      new BadRequest({
        message: "the Idempotency-Key header applies to one event: send the envelope alone, or give each envelope in the array its own id",
        details: { header: "Idempotency-Key" }
      })
    )
  }
  return body.length > EventBatch.MAX_EVENTS ? toAnswer(EventBatch.tooMany(body.length)) : undefined
}

/** The answer to the results of `body`'s envelopes. */
const ofResults = (isArray: boolean, results: ReadonlyArray<IngestResult>): Answer => {
  if (isArray) return { status: 202, body: EventBatch.summarize(results) }
  const result = results[0]!
  return result.status === "rejected" ? toAnswer(new EventRejected({ result })) : { status: 202, body: result }
}

/** The answer to a store that failed after every retry, and its log line. */
const ofStoreError = (error: StoreError, events: number): Effect.Effect<Answer> =>
  Effect.logError("events not stored; answered 503").pipe(
    Effect.annotateLogs({ operation: error.operation, reason: error.reason, events }),
    Effect.as(
      toAnswer(
        new StoreUnavailable({
          message: events === 1
            ? "the event could not be stored and was not applied; retry later"
            : "the events could not be stored; retry later (those already stored will answer duplicate)"
        })
      )
    )
  )

/** The answer to `body` (an envelope or an array of them) sent with `idempotencyKey`. */
export const answer = (service: PortfolioServiceShape, body: unknown, idempotencyKey: string | undefined): Effect.Effect<Answer> => {
  const refused = refusal(body, idempotencyKey)
  if (refused !== undefined) return Effect.succeed(refused)
  const isArray = Array.isArray(body)
  const envelopes: ReadonlyArray<unknown> = isArray ? body : [body]
  return service.ingestMany(envelopes, { idempotencyKey }).pipe(
    Effect.uninterruptible,
    Effect.map((results) => ofResults(isArray, results)),
    Effect.catchTag("StoreError", (error) => ofStoreError(error, envelopes.length))
  )
}

/**
 * {@link answer} without a fiber (the fast lane's): `done` gets the answer once the events are
 * durable; a store failure's log line is written with `runLog`.
 */
export const submit = (
  service: PortfolioServiceShape,
  body: unknown,
  idempotencyKey: string | undefined,
  runLog: (effect: Effect.Effect<Answer>) => Answer,
  done: (answer: Answer) => void
): void => {
  const refused = refusal(body, idempotencyKey)
  if (refused !== undefined) return done(refused)
  const isArray = Array.isArray(body)
  const envelopes: ReadonlyArray<unknown> = isArray ? body : [body]
  service.submit(envelopes, { idempotencyKey }, (results) =>
    done(Either.isRight(results) ? ofResults(isArray, results.right) : runLog(ofStoreError(results.left, envelopes.length))))
}
