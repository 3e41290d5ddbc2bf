/**
 * `GET /docs`: the platform's Swagger UI page for the API (`HttpApiSwagger`), loaded on the
 * first request instead of at start. The page inlines the whole Swagger UI bundle (1.9 MB of
 * JavaScript and CSS, some 7 MB of heap once loaded as module text and strings): a service
 * whose docs nobody opens does not pay for them. The page is made once, then served as is.
 *
 * @since 0.2.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Layer } from "effect"

/**
 * The page of `api` as `HttpApiSwagger` makes it, with the module imported now: its
 * handler is taken from the router it mounts itself on (a router that only keeps it).
 */
const makePage = (api: HttpApi.Api["Type"]["api"]): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.gen(function* () {
    const swagger = yield* Effect.promise(() => import("@effect/platform/HttpApiSwagger"))
    let handler: Effect.Effect<HttpServerResponse.HttpServerResponse> | undefined
    const keeper = {
      add: (_method: string, _path: string, h: Effect.Effect<HttpServerResponse.HttpServerResponse>) =>
        Effect.sync(() => {
          handler = h
        })
    } as unknown as HttpLayerRouter.HttpRouter
    yield* Layer.build(swagger.layerHttpLayerRouter({ api, path: "/docs" })).pipe(
      Effect.provideService(HttpLayerRouter.HttpRouter, keeper),
      Effect.scoped
    )
    if (handler === undefined) return yield* Effect.dieMessage("HttpApiSwagger mounted no page")
    return yield* handler
  })

/**
 * Serves the Swagger UI of the API in context at `path`, loading it on the first request.
 *
 * @example
 * Layer.provide(Docs.layer("/docs")) // in place of HttpApiSwagger.layer({ path: "/docs" })
 */
export const layer = (path: `/${string}`): Layer.Layer<never, never, HttpApi.Api> =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const { api } = yield* HttpApi.Api
      const page = yield* Effect.cached(makePage(api))
      yield* router.get(path, page)
    })
  )
