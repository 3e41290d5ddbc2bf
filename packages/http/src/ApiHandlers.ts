/**
 * The implementation of {@link PortfolioApi} on the running `PortfolioService`: each query is
 * answered from the service's current state; events are read (JSON, size-limited) and handed
 * to `ingestMany`: one envelope is answered its `IngestResult` (202, or 422 when rejected), an
 * array its `IngestBatchResult` (202, whatever became of each).
 *
 * @since 0.1.0
 */
import type * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { DrawdownMetrics, ExposureBreakdown, IngestResult, NetPosition, PnLBreakdown, PortfolioService, PortfolioSnapshot } from "@portfolio/core"
import { Effect, Layer, Schema } from "effect"
import { EventRejected, InternalError } from "./ApiError.js"
import { PortfolioApi } from "./Api.js"
import type { ApiKeyAuth } from "./ApiKey.js"
import * as EventBatch from "./EventBatch.js"
import * as PlainJson from "./internal/plainJson.js"
import * as RequestBody from "./RequestBody.js"

const healthLive = HttpApiBuilder.group(PortfolioApi, "health", (handlers) =>
  Effect.gen(function* () {
    const service = yield* PortfolioService
    return handlers.handle("health", () =>
      Effect.flatMap(service.health, (health) => (health.status === "down" ? Effect.fail(health) : Effect.succeed(health)))
    )
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
      .handle("snapshot", () => Effect.map(service.snapshot, snapshot))
      .handle("pnl", () => Effect.map(service.pnl, pnl))
      .handle("exposure", () => Effect.map(service.exposure, exposure))
      .handle("drawdown", () => Effect.map(service.drawdown, drawdown))
      .handle("positions", () => Effect.map(service.netPositions, positions))
  })
)

const single = PlainJson.answer(IngestResult, 202)
const batch = PlainJson.answer(EventBatch.IngestBatchResult, 202)

const eventsLive = HttpApiBuilder.group(PortfolioApi, "events", (handlers) =>
  Effect.gen(function* () {
    const service = yield* PortfolioService
    // Once the body is in hand the events are ingested to the end, even if the client leaves:
    // persist and apply must not be separated by an interruption. One envelope goes the same
    // way as an array of one, so that concurrent requests share the service's group commit.
    const ingest = (envelopes: ReadonlyArray<unknown>) =>
      service.ingestMany(envelopes).pipe(
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
          const body = yield* RequestBody.json(request)
          if (Array.isArray(body)) {
            if (body.length > EventBatch.MAX_EVENTS) return yield* Effect.fail(EventBatch.tooMany(body.length))
            return batch(EventBatch.summarize(yield* ingest(body)))
          }
          const result = (yield* ingest([body]))[0]!
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
  Layer.provide([healthLive, portfolioLive, eventsLive])
)
