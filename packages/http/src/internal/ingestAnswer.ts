/**
 * What `POST /api/events` answers for a body already read and parsed: shared by the API's
 * route and the fast lane, so both answer alike. One envelope goes the same way as an array of
 * one, so that concurrent requests share the service's group commit. Once the body is in hand
 * the events are ingested to the end even if the client leaves: persist and apply must not be
 * separated by an interruption.
 */
import type { PortfolioServiceShape } from "@portfolio/core"
import { Effect } from "effect"
import { type Answer, BadRequest, EventRejected, StoreUnavailable, toAnswer } from "../ApiError.js"
import * as EventBatch from "../EventBatch.js"

/** The answer to `body` (an envelope or an array of them) sent with `idempotencyKey`. */
export const answer = (service: PortfolioServiceShape, body: unknown, idempotencyKey: string | undefined): Effect.Effect<Answer> => {
  const isArray = Array.isArray(body)
  if (isArray && idempotencyKey !== undefined) {
    return Effect.succeed(
      toAnswer(
        new BadRequest({
          message: "the Idempotency-Key header applies to one event: send the envelope alone, or give each envelope in the array its own id",
          details: { header: "Idempotency-Key" }
        })
      )
    )
  }
  if (isArray && body.length > EventBatch.MAX_EVENTS) return Effect.succeed(toAnswer(EventBatch.tooMany(body.length)))
  const envelopes: ReadonlyArray<unknown> = isArray ? body : [body]
  return service.ingestMany(envelopes, { idempotencyKey }).pipe(
    Effect.uninterruptible,
    Effect.map((results): Answer => {
      if (isArray) return { status: 202, body: EventBatch.summarize(results) }
      const result = results[0]!
      return result.status === "rejected" ? toAnswer(new EventRejected({ result })) : { status: 202, body: result }
    }),
    Effect.catchTag("StoreError", (error) =>
      Effect.logError("events not stored; answered 503").pipe(
        Effect.annotateLogs({ operation: error.operation, reason: error.reason, events: envelopes.length }),
        Effect.as(
          toAnswer(
            new StoreUnavailable({
              message: envelopes.length === 1
                ? "the event could not be stored and was not applied; retry later"
                : "the events could not be stored; retry later (those already stored will answer duplicate)"
            })
          )
        )
      )
    )
  )
}
