/**
 * The implementation of {@link PortfolioApi} on the running `PortfolioService`: each query is
 * answered from the service's current state; events are read (JSON, size-limited) and handed
 * to `ingestMany`: one envelope is answered its `IngestResult` (202, or 422 when rejected), an
 * array its `IngestBatchResult` (202, whatever became of each). A query made while no cash was
 * ever read answers 503 (`CashUnavailable`). A body refused before any event could be read
 * (400: empty, not JSON, nested too deep) is counted in `/health` under
 * `events.rejected["http.body"]`.
 *
 * @since 0.1.0
 */
import type * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import {
  type CashUnavailable as CoreCashUnavailable,
  DrawdownMetrics,
  ExposureBreakdown,
  IngestResult,
  NetPosition,
  PnLBreakdown,
  PortfolioService,
  PortfolioSnapshot
} from "@portfolio/core"
import { Context, Effect, Layer, Schema } from "effect"
import { BadRequest, CashUnavailable, EventRejected, InternalError } from "./ApiError.js"
import { PortfolioApi } from "./Api.js"
import type { ApiKeyAuth } from "./ApiKey.js"
import * as EventBatch from "./EventBatch.js"
import * as PlainJson from "./internal/plainJson.js"
import * as RequestBody from "./RequestBody.js"

/** The key of `events.rejected` in `/health` counting bodies refused before any event was read. */
export const BAD_BODY = "http.body"

/** How many request bodies were refused (400) before any event could be read. */
class BadBodies extends Context.Tag("@portfolio/http/ApiHandlers/BadBodies")<BadBodies, { count: number }>() {}

const healthLive = HttpApiBuilder.group(PortfolioApi, "health", (handlers) =>
  Effect.gen(function* () {
    const service = yield* PortfolioService
    const badBodies = yield* BadBodies
    return handlers.handle("health", () =>
      Effect.flatMap(service.health, (reported) => {
        const health = badBodies.count === 0
          ? reported
          : { ...reported, events: { ...reported.events, rejected: { ...reported.events.rejected, [BAD_BODY]: badBodies.count } } }
        return health.status === "down" ? Effect.fail(health) : Effect.succeed(health)
      })
    )
  })
)

// No cash was ever read: 503, with the source's reason (already free of URLs and credentials).
const unavailable = (error: CoreCashUnavailable) =>
  Effect.fail(
    new CashUnavailable({
      message: `${error.message}; retry later`,
      details: { reason: error.reason, retryable: error.retryable, ...(error.code === undefined ? {} : { code: error.code }) }
    })
  )

// The service's answers are already in wire form: written as they are (see `internal/plainJson`).
const snapshot = PlainJson.answer(PortfolioSnapshot)
const pnl = PlainJson.answer(PnLBreakdown)
const exposure = PlainJson.answer(ExposureBreakdown)
const drawdown = PlainJson.answer(DrawdownMetrics)
const positions = PlainJson.answer(Schema.Array(NetPosition))

const portfolioLive = HttpApiBuilder.group(PortfolioApi, "portfolio", (handlers) =>
  Effect.gen(function* () {
    const service = yield* PortfolioService
    return handlers
      .handle("snapshot", () => service.snapshot.pipe(Effect.map(snapshot), Effect.catchTag("CashUnavailable", unavailable)))
      .handle("pnl", () => service.pnl.pipe(Effect.map(pnl), Effect.catchTag("CashUnavailable", unavailable)))
      .handle("exposure", () => service.exposure.pipe(Effect.map(exposure), Effect.catchTag("CashUnavailable", unavailable)))
      .handle("drawdown", () => service.drawdown.pipe(Effect.map(drawdown), Effect.catchTag("CashUnavailable", unavailable)))
      .handle("positions", () => service.netPositions.pipe(Effect.map(positions), Effect.catchTag("CashUnavailable", unavailable)))
  })
)

const single = PlainJson.answer(IngestResult, 202)
const batch = PlainJson.answer(EventBatch.IngestBatchResult, 202)

const eventsLive = HttpApiBuilder.group(PortfolioApi, "events", (handlers) =>
  Effect.gen(function* () {
    const service = yield* PortfolioService
    const badBodies = yield* BadBodies
    // Once the body is in hand the events are ingested to the end, even if the client leaves:
    // persist and apply must not be separated by an interruption. One envelope goes the same
    // way as an array of one, so that concurrent requests share the service's group commit.
    const ingest = (envelopes: ReadonlyArray<unknown>, idempotencyKey?: string) =>
      service.ingestMany(envelopes, { idempotencyKey }).pipe(
        Effect.uninterruptible,
        Effect.catchTag("StoreError", (error) =>
          Effect.logError("events not stored; answered 500").pipe(
            Effect.annotateLogs({ operation: error.operation, reason: error.reason, events: envelopes.length }),
            Effect.zipRight(
              Effect.fail(
                new InternalError({
                  message: envelopes.length === 1
                    ? "the event could not be stored and was not applied; retry later"
                    : "the events could not be stored; retry later (those already stored will answer duplicate)"
                })
              )
            )
          )
        )
      )
    return handlers
      .handleRaw("ingest", ({ request }) =>
        Effect.gen(function* () {
          const body = yield* RequestBody.json(request).pipe(
            Effect.tapErrorTag("BadRequest", () => Effect.sync(() => void badBodies.count++))
          )
          const idempotencyKey = request.headers["idempotency-key"]
          if (Array.isArray(body)) {
            if (idempotencyKey !== undefined) {
              return yield* Effect.fail(
                new BadRequest({
                  message: "the Idempotency-Key header applies to one event: send the envelope alone, or give each envelope in the array its own id",
                  details: { header: "Idempotency-Key" }
                })
              )
            }
            if (body.length > EventBatch.MAX_EVENTS) return yield* Effect.fail(EventBatch.tooMany(body.length))
            return batch(EventBatch.summarize(yield* ingest(body)))
          }
          const result = (yield* ingest([body], idempotencyKey))[0]!
          return result.status === "rejected" ? yield* Effect.fail(new EventRejected({ result })) : single(result)
        })
      )
      .handle("rejected", () => service.rejections)
  })
)

/**
 * Every group of the API implemented on `PortfolioService`, with the API key middleware
 * left to provide (see `ApiKey.layer`).
 */
export const layer: Layer.Layer<HttpApi.Api, never, PortfolioService | ApiKeyAuth> = HttpApiBuilder.api(PortfolioApi).pipe(
  Layer.provide([healthLive, portfolioLive, eventsLive]),
  Layer.provide(Layer.sync(BadBodies, () => ({ count: 0 })))
)
