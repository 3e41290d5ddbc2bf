/**
 * The API's documents: `GET /docs`, the platform's Swagger UI page (`HttpApiSwagger`), and
 * `GET /openapi.json`, the OpenAPI document it shows (`OpenApi.fromApi`, the same schemas the
 * code decodes with). Each is made once and served from its bytes:
 *
 * - **Compressed** when the client accepts it (`br`, else `gzip`; `Vary: Accept-Encoding`), each
 *   form made on first demand in zlib's thread pool: the Swagger page is 1.9 MB of inlined
 *   JavaScript and CSS, 430 KB in brotli, 530 KB in gzip.
 * - **Revalidated**: `ETag` (a hash of the bytes), `If-None-Match` → 304, `Cache-Control: no-cache`.
 * - **Lazy** (`/docs`): the page and its module are loaded on the first request instead of at
 *   start (some 7 MB of heap once loaded as module text and strings): a service whose docs
 *   nobody opens does not pay for them.
 *
 * @since 0.2.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as OpenApi from "@effect/platform/OpenApi"
import { Effect, Layer } from "effect"
import { createHash } from "node:crypto"
import { promisify } from "node:util"
import { brotliCompress, constants as zlib, gzip } from "node:zlib"
import { COMPRESS_FROM_BYTES, matchesEtag, negotiate } from "./FastLane.js"

const brotli = promisify(brotliCompress)
const gzipAsync = promisify(gzip)

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

/** A document's bytes, their content type and tag, and its compressed forms once made. */
interface Forms {
  readonly identity: Uint8Array
  readonly contentType: string
  readonly etag: string
  readonly br: Effect.Effect<Uint8Array>
  readonly gzip: Effect.Effect<Uint8Array>
}

const formsOf = (bytes: Uint8Array, contentType: string): Effect.Effect<Forms> =>
  Effect.gen(function* () {
    const br = yield* Effect.cached(Effect.promise(() =>
      brotli(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length } })
    ))
    const gz = yield* Effect.cached(Effect.promise(() => gzipAsync(bytes, { level: 9 })))
    return { identity: bytes, contentType, etag: `"${createHash("sha256").update(bytes).digest("base64url").slice(0, 22)}"`, br, gzip: gz }
  })

/** The forms of a response made by the platform (a body of bytes, as its `html` and `json` make). */
const formsOfResponse = (response: HttpServerResponse.HttpServerResponse): Effect.Effect<Forms> =>
  response.body._tag === "Uint8Array"
    ? formsOf(response.body.body, response.body.contentType)
    : Effect.dieMessage(`a document answered a body of ${response.body._tag}, not bytes`)

/**
 * The handler of a document made once by `make` (on the first request): its bytes, or a
 * compressed form, or 304 (see the module's documentation).
 */
export const cachedDocument = (
  make: Effect.Effect<HttpServerResponse.HttpServerResponse>
): Effect.Effect<Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest>> =>
  Effect.map(Effect.cached(Effect.flatMap(make, formsOfResponse)), (forms) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const f = yield* forms
      const headers: Record<string, string> = { etag: f.etag, vary: "Accept-Encoding", "cache-control": "no-cache" }
      if (matchesEtag(request.headers["if-none-match"], f.etag)) return HttpServerResponse.empty({ status: 304, headers })
      const encoding = f.identity.length >= COMPRESS_FROM_BYTES ? negotiate(request.headers["accept-encoding"]) : undefined
      if (encoding === undefined) return HttpServerResponse.uint8Array(f.identity, { contentType: f.contentType, headers })
      const body = yield* (encoding === "br" ? f.br : f.gzip)
      return HttpServerResponse.uint8Array(body, { contentType: f.contentType, headers: { ...headers, "content-encoding": encoding } })
    })
  )

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
      yield* router.get(path, yield* cachedDocument(makePage(api)))
    })
  )

/**
 * Serves the OpenAPI document of the API in context at `path` (what the platform's
 * `HttpApiBuilder.middlewareOpenApi` serves, compressed and tagged).
 *
 * @example
 * Layer.provide(Docs.openApiLayer("/openapi.json"))
 */
export const openApiLayer = (path: `/${string}`): Layer.Layer<never, never, HttpApi.Api> =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const { api } = yield* HttpApi.Api
      const document = Effect.orDie(HttpServerResponse.json(OpenApi.fromApi(api)))
      yield* router.get(path, yield* cachedDocument(document))
    })
  )
