/**
 * What wraps every request before and after the API: JSON errors for what the API's router
 * does not answer (404 unknown route, 405 known route with another method, 500 for any
 * failure — the cause goes to the log, never to the client) and one log line per request
 * with method, path, status and duration. Headers are never logged (the API key travels in
 * them). CORS is the platform's (`HttpApiBuilder.middlewareCors`), configured by {@link cors}.
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Effect, Layer, Option } from "effect"
import { BadRequest, InternalError, MethodNotAllowed, NotFound, toResponse } from "./ApiError.js"
import * as HttpMetrics from "./HttpMetrics.js"
import { logRequest, RequestLog } from "./Logging.js"

/** Options of {@link middleware}. */
export interface Options {
  /** Log one line per request (default true). */
  readonly logRequests?: boolean
  /** Routes served beside the API (the docs), as `path → methods`. */
  readonly extraRoutes?: Readonly<Record<string, ReadonlyArray<string>>>
}

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

/** The path of a request URL, without its query and a trailing `/` (the root excepted). */
export const pathOf = (url: string): string => {
  const q = url.indexOf("?")
  const path = q === -1 ? url : url.slice(0, q)
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path
}

/** Whether a request's `Origin` is one of `origins` (compared without case). */
export const allowsOrigin = (origins: ReadonlyArray<string>): ((origin: string | undefined) => boolean) => {
  const allowed = new Set(origins.map((o) => o.toLowerCase()))
  return (origin) => typeof origin === "string" && allowed.has(origin.toLowerCase())
}

/**
 * CORS for `origins` (`PORTFOLIO_CORS_ORIGINS`), as the platform's API middleware: `*` lets any
 * origin read (`Access-Control-Allow-Origin: *`), listed origins are echoed back to themselves
 * only (with `Vary: Origin`), none adds nothing. Preflights (`OPTIONS`) are answered 204 before
 * the router and the API key; the browser may send `Content-Type`, `X-API-Key` and
 * `Authorization`, and cache the answer for 10 minutes.
 *
 * @example
 * Layer.provide(HttpEdge.cors(["https://dash.example.com"]))
 */
export const cors = (origins: ReadonlyArray<string>): Layer.Layer<never> =>
  origins.length === 0
    ? Layer.empty
    : HttpApiBuilder.middlewareCors({
      // An empty list is the platform's "any origin"; a predicate compares each request's.
      allowedOrigins: origins.includes("*") ? [] : allowsOrigin(origins),
      allowedMethods: ["GET", "POST", "OPTIONS"],
      allowedHeaders: ["Content-Type", "X-API-Key", "Authorization"],
      maxAge: 600
    })

/**
 * The edge middleware around the API's `HttpApp`, for `HttpApiBuilder.serve`.
 *
 * @example
 * HttpApiBuilder.serve(HttpEdge.middleware(PortfolioApi, { logRequests: false }))
 */
export const middleware = (api: HttpApi.HttpApi.Any, options: Options = {}) => {
  const routes = routesOf(api, options.extraRoutes)
  const logRequests = options.logRequests ?? true
  const recordLatency = HttpMetrics.recorder(routes.keys())

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

  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<never, R | HttpServerRequest.HttpServerRequest> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const started = performance.now()
      const response = yield* app.pipe(
        // An interrupted-only cause holds no failure: the client left, there is no one to answer.
        Effect.catchAllCause((cause) =>
          Cause.isInterruptedOnly(cause) ? Effect.failCause(cause as Cause.Cause<never>) : failed(request, cause)
        )
      )
      recordLatency(request.method, request.url, response.status, performance.now() - started)
      if (logRequests) {
        const durationMs = performance.now() - started
        const entry = { method: request.method, path: pathOf(request.url), status: response.status, durationMs }
        const requestLog = yield* Effect.serviceOption(RequestLog)
        if (Option.isSome(requestLog)) requestLog.value.write(entry)
        else yield* logRequest(entry)
      }
      return response
    })
}
