/**
 * The implementation of {@link PortfolioApi} on the running `PortfolioService`: each query is
 * answered from the service's current state, events are read (JSON, size-limited) and handed
 * to `ingest`, whose answer decides the status (202, or 422 when rejected).
 *
 * @since 0.1.0
 */
import type * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { DrawdownMetrics, ExposureBreakdown, NetPosition, PnLBreakdown, PortfolioService, PortfolioSnapshot } from "@portfolio/core"
import { Effect, Layer, Schema } from "effect"
import { EventRejected, InternalError } from "./ApiError.js"
import { PortfolioApi } from "./Api.js"
import type { ApiKeyAuth } from "./ApiKey.js"
import * as PlainJson from "./internal/plainJson.js"
import * as RequestBody from "./RequestBody.js"

/** Options of {@link layer}. */
export interface Options {
  /** Largest accepted request body in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number
}

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

const eventsLive = (maxBodyBytes: number) =>
  HttpApiBuilder.group(PortfolioApi, "events", (handlers) =>
    Effect.gen(function* () {
      const service = yield* PortfolioService
      return handlers
        .handleRaw("ingest", ({ request }) =>
          Effect.gen(function* () {
            const body = yield* RequestBody.json(request, maxBodyBytes)
            // Once the body is in hand the event is applied to the end, even if the client leaves:
            // persist and apply must not be separated by an interruption.
            const result = yield* service.ingest(body).pipe(
              Effect.uninterruptible,
              Effect.catchTag("StoreError", (error) =>
                Effect.logError("event not stored; answered 500").pipe(
                  Effect.annotateLogs({ operation: error.operation, reason: error.reason }),
                  Effect.zipRight(
                    Effect.fail(new InternalError({ message: "the event could not be stored and was not applied; retry later" }))
                  )
                )
              )
            )
            return result.status === "rejected" ? yield* Effect.fail(new EventRejected({ result })) : result
          })
        )
        .handle("rejected", () => service.rejections)
    })
  )

/**
 * Every group of the API implemented on `PortfolioService`, with the API key middleware
 * left to provide (see `ApiKey.layer`).
 */
export const layer = (options: Options = {}): Layer.Layer<HttpApi.Api, never, PortfolioService | ApiKeyAuth> =>
  HttpApiBuilder.api(PortfolioApi).pipe(
    Layer.provide([healthLive, portfolioLive, eventsLive(options.maxBodyBytes ?? RequestBody.DEFAULT_MAX_BYTES)])
  )
