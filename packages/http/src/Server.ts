/**
 * The HTTP server: the API (`ApiHandlers`) behind the edge (`HttpEdge`), with `/openapi.json`
 * and `/docs` generated from the same definition, listening on Node's `http` server. Once it
 * listens it prints `portfolio-intelligence listening on http://HOST:PORT` (the real port, also
 * when `0` asked for any free one). When its scope closes it stops accepting connections,
 * lets in-flight requests finish (up to the shutdown grace, then cuts what remains), and only
 * then releases what it was given — so the service behind it closes last.
 *
 * @since 0.1.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Console, Duration, Effect, Layer, Option } from "effect"
import { createServer, type Server as NodeServer } from "node:http"
import { PortfolioApi } from "./Api.js"
import * as ApiHandlers from "./ApiHandlers.js"
import * as ApiKey from "./ApiKey.js"
import * as Docs from "./Docs.js"
import * as FastLane from "./FastLane.js"
import type { HttpSettings } from "./HttpConfig.js"
import * as Dashboard from "./Dashboard.js"
import * as HttpEdge from "./HttpEdge.js"
import * as Push from "./Push.js"

/** The routes served beside the API. */
export const DOCS_PATH = "/docs"
/** The OpenAPI document's route. */
export const OPENAPI_PATH = "/openapi.json"

/** The line printed once the server listens. */
export const listeningLine = (address: HttpServer.Address): string =>
  address._tag === "TcpAddress"
    ? `portfolio-intelligence listening on http://${address.hostname}:${address.port}`
    : `portfolio-intelligence listening on unix:${address.path}`

/** Waits for open connections to finish, closing idle ones, until `grace`; then cuts the rest. */
const drain = (server: NodeServer, grace: Duration.Duration): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    const deadline = Date.now() + Duration.toMillis(grace)
    let timer: NodeJS.Timeout | undefined
    if (server.listening) server.close()
    const check = () => {
      server.closeIdleConnections()
      server.getConnections((error, open) => {
        if (error !== null || open === 0) return resume(Effect.void)
        if (Date.now() >= deadline) {
          server.closeAllConnections()
          return resume(Effect.void)
        }
        timer = setTimeout(check, 20)
      })
    }
    check()
    return Effect.sync(() => clearTimeout(timer))
  })

/** Announces the address and, on release, drains the server before anything else closes. */
const lifecycle = (server: NodeServer, grace: Duration.Duration) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const http = yield* HttpServer.HttpServer
      const push = yield* Push.PushHub
      // The push streams never end by themselves: they are ended first, then the server drains.
      yield* Effect.addFinalizer(() =>
        Effect.logInfo("http server stopping: draining connections").pipe(Effect.zipRight(push.close), Effect.zipRight(drain(server, grace)))
      )
      yield* Console.log(listeningLine(http.address))
    })
  )

/**
 * The API, its docs and the edge, served on the server in context. The edge wraps the API's
 * app before it is handed to the server, so that every answer — the router's 404 included —
 * passes through it; CORS, an API middleware, adds its headers to all of them. Request bodies
 * are limited to `settings.maxBodyBytes` (the platform's `MaxBodySize`, read by `RequestBody`).
 */
export const serve = (settings: HttpSettings) => {
  const edge = HttpEdge.middleware(PortfolioApi, {
    logRequests: settings.logRequests,
    extraRoutes: { [DOCS_PATH]: ["GET"], [OPENAPI_PATH]: ["GET"], [Dashboard.PAGE_PATH]: ["GET"] }
  })
  const maxBodySize = HttpIncomingMessage.withMaxBodySize(Option.some(settings.maxBodyBytes))
  return Layer.unwrapEffect(Effect.map(HttpApiBuilder.httpApp, (app) => HttpServer.serve(maxBodySize(edge(app))))).pipe(
    Layer.provide([HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer]),
    Layer.provide(HttpEdge.cors(settings.corsOrigins)),
    Layer.provide(Docs.layer(DOCS_PATH)),
    Layer.provide(Dashboard.layer(settings.dashboardDir)),
    Layer.provide(Docs.openApiLayer(OPENAPI_PATH)),
    Layer.provide(ApiHandlers.layer),
    Layer.provide(ApiKey.layer(settings.apiKey)),
    Layer.provide(Push.authLayer(settings.apiKey))
  )
}

/**
 * The whole HTTP server on `settings.host:settings.port`, serving the `PortfolioService` it
 * is given; it provides the `HttpServer` (whose `address` has the real port). The hottest
 * routes take the fast lane (`FastLane`) in front of the API. Fails with a `ServeError` when it
 * cannot listen (port in use, …).
 */
export const layer = (settings: HttpSettings) =>
  Layer.unwrapEffect(
    Effect.sync(() => {
      const server = createServer()
      const lane = FastLane.layer(server, settings)
      const push = Layer.merge(lifecycle(server, settings.shutdownGrace).pipe(Layer.provide(serve(settings))), Push.webSocketLayer(server, settings))
      return Layer.merge(push, lane).pipe(
        Layer.provideMerge(Push.layer({ heartbeat: settings.pushHeartbeat })),
        // One counter of refused bodies for both the API's route and the lane.
        Layer.provide(ApiHandlers.BadBodies.layer),
        Layer.provideMerge(NodeHttpServer.layer(() => server, { port: settings.port, host: settings.host }))
      )
    })
  )

