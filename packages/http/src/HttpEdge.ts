/**
 * What wraps every request before and after the API: CORS, JSON errors for what the API's
 * router does not answer (404 unknown route, 405 known route with another method, 500 for any
 * failure — the cause goes to the log, never to the client) and one log line per request
 * with method, path, status and duration. Headers are never logged (the API key travels in
 * them).
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Effect, Option } from "effect"
import { BadRequest, InternalError, MethodNotAllowed, NotFound, toResponse } from "./ApiError.js"

/** Options of {@link middleware}. */
export interface Options {
  /** Origins allowed by CORS (`*` for any); none: no CORS headers at all. */
  readonly corsOrigins?: ReadonlyArray<string>
  /** Log one line per request (default true). */
  readonly logRequests?: boolean
  /** Routes served beside the API (the docs), as `path → methods`. */
  readonly extraRoutes?: Readonly<Record<string, ReadonlyArray<string>>>
}

const CORS_METHODS = "GET, POST, OPTIONS"
const CORS_HEADERS = "Content-Type, X-API-Key, Authorization"

/** The methods of each path of `api`, plus `extra`: how 405 is told from 404. */
export const routesOf = (
  api: HttpApi.HttpApi.Any,
  extra: Readonly<Record<string, ReadonlyArray<string>>> = {}
): ReadonlyMap<string, ReadonlyArray<string>> => {
  const routes = new Map<string, Array<string>>()
  const add = (path: string, method: string) => {
    const normalized = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
    routes.set(normalized, [...(routes.get(normalized) ?? []), method])
  }
  HttpApi.reflect(api as HttpApi.HttpApi.AnyWithProps, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => add(endpoint.path, endpoint.method)
  })
  for (const [path, methods] of Object.entries(extra)) for (const m of methods) add(path, m)
  return routes
}

const pathOf = (url: string): string => {
  const q = url.indexOf("?")
  const path = q === -1 ? url : url.slice(0, q)
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
}

/** The CORS policy of a list of origins: the `Access-Control-Allow-Origin` for a request's origin, if allowed. */
export const corsPolicy = (origins: ReadonlyArray<string>): ((origin: string | undefined) => string | undefined) => {
  if (origins.length === 0) return () => undefined
  if (origins.includes("*")) return (origin) => (origin === undefined ? undefined : "*")
  const allowed = new Set(origins.map((o) => o.toLowerCase()))
  return (origin) => (origin !== undefined && allowed.has(origin.toLowerCase()) ? origin : undefined)
}

/**
 * The edge middleware around the API's `HttpApp`, for `HttpApiBuilder.serve`.
 *
 * @example
 * HttpApiBuilder.serve(HttpEdge.middleware(PortfolioApi, { corsOrigins: ["https://dash.example"] }))
 */
export const middleware = (api: HttpApi.HttpApi.Any, options: Options = {}) => {
  const routes = routesOf(api, options.extraRoutes)
  const allowOrigin = corsPolicy(options.corsOrigins ?? [])
  const logRequests = options.logRequests ?? true

  const unrouted = (request: HttpServerRequest.HttpServerRequest): HttpServerResponse.HttpServerResponse => {
    const path = pathOf(request.url)
    const methods = routes.get(path)
    if (methods === undefined) {
      return toResponse(new NotFound({ message: `no route ${request.method} ${path}`, details: { method: request.method, path } }))
    }
    const allow = [...new Set(methods)].join(", ")
    return toResponse(
      new MethodNotAllowed({ message: `${request.method} is not allowed on ${path}; allowed: ${allow}`, details: { allowed: methods } }),
      { allow }
    )
  }

  const failed = (request: HttpServerRequest.HttpServerRequest, cause: Cause.Cause<unknown>): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
    const failure = Cause.failureOption(cause)
    if (Option.isSome(failure)) {
      const error = failure.value as { readonly _tag?: unknown }
      if (error._tag === "RouteNotFound") return Effect.succeed(unrouted(request))
      if (error._tag === "RequestError") {
        return Effect.succeed(toResponse(new BadRequest({ message: "the request could not be read" })))
      }
      if (HttpServerResponse.isServerResponse(error)) return Effect.succeed(error)
    }
    return Effect.logError("request failed; answered 500", cause).pipe(
      Effect.annotateLogs({ method: request.method, path: pathOf(request.url) }),
      Effect.as(toResponse(new InternalError({ message: "internal error; the cause is in the service log" })))
    )
  }

  const preflight = (origin: string): HttpServerResponse.HttpServerResponse =>
    HttpServerResponse.empty({
      status: 204,
      headers: {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": CORS_METHODS,
        "access-control-allow-headers": CORS_HEADERS,
        "access-control-max-age": "600",
        vary: "Origin"
      }
    })

  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const started = performance.now()
      const allowed = allowOrigin(request.headers["origin"])
      let response: HttpServerResponse.HttpServerResponse
      if (allowed !== undefined && request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) {
        response = preflight(allowed)
      } else {
        response = yield* app.pipe(
          // An interrupted-only cause holds no failure: the client left, there is no one to answer.
          Effect.catchAllCause((cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.failCause(cause as Cause.Cause<never>) : failed(request, cause)
          )
        )
        if (allowed !== undefined) {
          response = HttpServerResponse.setHeaders(response, allowed === "*" ? { "access-control-allow-origin": "*" } : { "access-control-allow-origin": allowed, vary: "Origin" })
        }
      }
      if (logRequests) {
        yield* Effect.logInfo("http").pipe(
          Effect.annotateLogs({
            method: request.method,
            path: pathOf(request.url),
            status: response.status,
            duration_ms: Math.round((performance.now() - started) * 100) / 100
          })
        )
      }
      return response
    })
}
