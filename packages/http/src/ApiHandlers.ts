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
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import {
  type CashUnavailable as CoreCashUnavailable,
  DrawdownMetrics,
  ExposureBreakdown,
  NetPosition,
  PnLBreakdown,
  PortfolioService,
  PortfolioSnapshot
} from "@portfolio/core"
import { Context, Effect, Layer, Schema } from "effect"
import { fromCashUnavailable } from "./ApiError.js"
import { PortfolioApi } from "./Api.js"
import type { ApiKeyAuth } from "./ApiKey.js"
import type { EquityHistory, TradeStore } from "@portfolio/core"
import * as IngestAnswer from "./internal/ingestAnswer.js"
import * as PlainJson from "./internal/plainJson.js"
import * as GraphQL from "./GraphQL.js"
import * as HealthView from "./HealthView.js"
import * as Push from "./Push.js"
import * as AnalyticsHandlers from "./AnalyticsHandlers.js"
import * as ExportHandlers from "./ExportHandlers.js"
import * as MetricsHandlers from "./MetricsHandlers.js"
import type { PushAuth } from "./PushApi.js"
import * as RequestBody from "./RequestBody.js"

/** The key of `events.rejected` in `/health` counting bodies refused before any event was read. */
export const BAD_BODY = "http.body"

/**
 * How many request bodies were refused (400) before any event could be read: one counter for
 * the API's route and the fast lane, reported by `/health`.
 */
export class BadBodies extends Context.Tag("@portfolio/http/ApiHandlers/BadBodies")<BadBodies, { count: number }>() {
  /** A fresh counter at 0. */
  static readonly layer: Layer.Layer<BadBodies> = Layer.sync(BadBodies, () => ({ count: 0 }))
}

const healthLive = HttpApiBuilder.group(PortfolioApi, "health", (handlers) =>
  Effect.gen(function* () {
    const service = yield* PortfolioService
    const badBodies = yield* BadBodies
    return handlers.handle("health", () =>
      Effect.flatMap(service.health, (reported) => {
        const health = badBodies.count === 0
          ? reported
          : { ...reported, events: { ...reported.events, rejected: { ...reported.events.rejected, [BAD_BODY]: badBodies.count } } }
        // Where the parts are is for callers with the API key only (see HealthView).
        return Effect.flatMap(HealthView.forRequest(health), (shown) => (shown.status === "down" ? Effect.fail(shown) : Effect.succeed(shown)))
      })
    )
  })
)

// No cash was ever read: 503, with the source's reason (already free of URLs and credentials).
const unavailable = (error: CoreCashUnavailable) => Effect.fail(fromCashUnavailable(error))

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

const eventsLive = HttpApiBuilder.group(PortfolioApi, "events", (handlers) =>
  Effect.gen(function* () {
    const service = yield* PortfolioService
    const badBodies = yield* BadBodies
    return handlers
      .handleRaw("ingest", ({ request }) =>
        Effect.gen(function* () {
          const body = yield* RequestBody.json(request).pipe(
            Effect.tapErrorTag("BadRequest", () => Effect.sync(() => void badBodies.count++))
          )
          const answer = yield* IngestAnswer.answer(service, body, request.headers["idempotency-key"])
          return HttpServerResponse.unsafeJson(answer.body, { status: answer.status })
        })
      )
      .handle("rejected", () => service.rejections)
  })
)

/**
 * Every group of the API implemented on `PortfolioService`, with the API key middleware
 * (see `ApiKey.layer`) and the bad-body counter ({@link BadBodies}) left to provide.
 */
export const layer: Layer.Layer<HttpApi.Api, never, PortfolioService | ApiKeyAuth | BadBodies | Push.PushHub | PushAuth | TradeStore | EquityHistory> = HttpApiBuilder.api(PortfolioApi).pipe(
  Layer.provide(ExportHandlers.layer),
  Layer.provide([healthLive, portfolioLive, eventsLive, Push.handlers, AnalyticsHandlers.layer, GraphQL.handlers, MetricsHandlers.layer])
)
