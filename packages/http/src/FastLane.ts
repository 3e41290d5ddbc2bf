/**
 * The fast lane: the hottest routes answered on Node's own request and response objects,
 * before the platform's router sees them — the queries (`GET`/`HEAD` of
 * `/api/portfolio/{snapshot,pnl,exposure,drawdown,positions}`) and `POST /api/events`. The
 * platform's stack (router, middlewares, a fiber per request) costs more than the answer itself
 * once the answer is cached; here a request costs a lookup and a write.
 *
 * - **Queries** answer from the service's current `View`: each route's JSON is encoded once per
 *   view (not per request) and kept with its gzip and brotli forms, made on first demand; the
 *   positions' texts are kept between views, so a price re-encodes only the positions it moved. The
 *   answer carries `ETag` (the view's tag) and `Cache-Control: no-cache`; `If-None-Match`
 *   with the current tag answers 304. Bodies of at least `compressFromBytes` (1 KiB) are
 *   compressed when `Accept-Encoding` allows (`br` preferred, then `gzip`; `Vary:
 *   Accept-Encoding`).
 * - **Events** are read and parsed as the API's route does (`RequestBody`) and answered by the
 *   same code (`internal/ingestAnswer`).
 *
 * The lane only takes a request it answers exactly as the platform's route would; it leaves to
 * the platform anything else: other routes and methods, a request without the right API key
 * (401 there), a cross-origin request while CORS is on (the platform adds its headers), an
 * events body that is not JSON or declares too many bytes (415/413 there). Both write the same
 * request log line (`http` with method, path, status, duration_ms).
 *
 * @since 0.2.0
 */
import { type CashUnavailable, PortfolioService, type View } from "@portfolio/core"
import { Cause, Effect, Either, Exit, Layer, Option, Redacted, Runtime } from "effect"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib"
import { type Answer, fromCashUnavailable, InternalError, toAnswer } from "./ApiError.js"
import { BadBodies } from "./ApiHandlers.js"
import * as ApiKey from "./ApiKey.js"
import * as HttpEdge from "./HttpEdge.js"
import * as HttpMetrics from "./HttpMetrics.js"
import * as IngestAnswer from "./internal/ingestAnswer.js"
import * as JsonList from "./internal/jsonList.js"
import * as Logging from "./Logging.js"
import * as RequestBody from "./RequestBody.js"

/** What the fast lane needs to know of the server's settings. */
export interface Options {
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly corsOrigins: ReadonlyArray<string>
  readonly logRequests: boolean
  readonly maxBodyBytes: number
  /** Bodies at least this large are compressed when the client accepts it (default {@link COMPRESS_FROM_BYTES}). */
  readonly compressFromBytes?: number
}

/** Bodies at least this large are compressed when the client accepts it, by default (bytes). */
export const COMPRESS_FROM_BYTES = 1024

/** The query routes of the lane and what each answers from a view. */
export const QUERIES: Readonly<Record<string, (view: View) => unknown>> = {
  "/api/portfolio/snapshot": (v) => v.snapshot,
  "/api/portfolio/pnl": (v) => v.pnl,
  "/api/portfolio/exposure": (v) => v.exposure(),
  "/api/portfolio/drawdown": (v) => v.drawdown,
  "/api/portfolio/positions": (v) => v.netPositions()
}

/** The route of the events. */
export const EVENTS = "/api/events"

/** One route's answer for one view, in each encoding asked so far. */
interface Encoded {
  readonly tag: string
  readonly etag: string
  readonly identity: Buffer
  gzip?: Buffer
  br?: Buffer
}

/** The encoding to send, from an `Accept-Encoding` header: `br`, then `gzip`, else none. */
export const negotiate = (header: string | undefined): "br" | "gzip" | undefined => {
  if (header === undefined || header === "") return undefined
  let gzip = false
  for (const part of header.split(",")) {
    const [name, ...params] = part.split(";")
    const token = name!.trim().toLowerCase()
    if (token !== "br" && token !== "gzip" && token !== "*") continue
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="))
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue
    if (token === "br" || token === "*") return "br"
    gzip = true
  }
  return gzip ? "gzip" : undefined
}

/** True when an `If-None-Match` header lists `etag` (or is `*`); weak tags compare equal. */
export const matchesEtag = (header: string | undefined, etag: string): boolean => {
  if (header === undefined) return false
  if (header.trim() === "*") return true
  for (const part of header.split(",")) {
    const t = part.trim()
    if ((t.startsWith("W/") ? t.slice(2) : t) === etag) return true
  }
  return false
}

/** True when the request's headers hold the key (`X-API-Key` or `Authorization: Bearer`). */
const keyCheck = (key: Option.Option<Redacted.Redacted<string>>): ((request: IncomingMessage) => boolean) => {
  if (Option.isNone(key)) return () => true
  const matches = ApiKey.matcher(key.value)
  return (request) => {
    const header = request.headers["x-api-key"]
    const token = ApiKey.bearerToken(request.headers["authorization"])
    if (token !== undefined && matches(Redacted.make(token))) return true
    return typeof header === "string" && matches(Redacted.make(header))
  }
}

/**
 * Puts the lane in front of `server`'s request handler: each `request` event is offered to the
 * lane first and reaches the platform's handler only when the lane leaves it.
 */
export const install = (server: Server, lane: (request: IncomingMessage, response: ServerResponse) => boolean): (() => void) => {
  const emit = server.emit
  const intercept = function(this: Server, event: string | symbol, ...args: Array<unknown>): boolean {
    if (event === "request" && lane(args[0] as IncomingMessage, args[1] as ServerResponse)) return true
    return (emit as (this: Server, event: string | symbol, ...args: Array<unknown>) => boolean).call(this, event, ...args)
  }
  server.emit = intercept as typeof server.emit
  return () => {
    if (server.emit === intercept) server.emit = emit
  }
}

/**
 * The lane on `server` for the `PortfolioService` in context, from when the layer is built until
 * its scope closes.
 */
export const layer = (server: Server, options: Options): Layer.Layer<never, never, PortfolioService | BadBodies> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const service = yield* PortfolioService
      const badBodies = yield* BadBodies
      const runtime = yield* Effect.runtime<never>()
      const runSyncExit = Runtime.runSyncExit(runtime)
      const runCallback = Runtime.runCallback(runtime)
      const compressFrom = options.compressFromBytes ?? COMPRESS_FROM_BYTES
      const cors = options.corsOrigins.length > 0
      const authorized = keyCheck(options.apiKey)
      const cache = new Map<string, Encoded>()

      const requestLog = yield* Effect.serviceOption(Logging.RequestLog)
      const log = (method: string, path: string, status: number, started: number) => {
        const durationMs = performance.now() - started
        // The lane's paths are their routes' templates.
        HttpMetrics.observe(path, method, status, durationMs)
        if (!options.logRequests) return
        if (Option.isSome(requestLog)) return requestLog.value.write({ method, path, status, durationMs })
        runSyncExit(Logging.logRequest({ method, path, status, durationMs }))
      }

      // A store failure's answer and log line (rare: the service's own effect, run here).
      const runAnswer = (effect: Effect.Effect<Answer>): Answer => {
        const exit = runSyncExit(effect)
        return Exit.isSuccess(exit) ? exit.value : toAnswer(new InternalError({ message: "internal error; the cause is in the service log" }))
      }

      const sendJson = (response: ServerResponse, answer: Answer) => {
        // A string body goes out in one write with the head (Node joins them); a Buffer takes two.
        const body = JSON.stringify(answer.body)
        response.writeHead(answer.status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
        response.end(body)
      }

      // The long lists keep each record's text: a price moves few positions, 10 000 need not be re-encoded.
      const snapshotPositions = new JsonList.ListEncoder((p) => p["trade_id"] as string)
      const netPositions = new JsonList.ListEncoder((p) => `${p["symbol"]}|${p["side"]}`)
      const bytesOf = (path: string, view: View): Buffer => {
        if (path === "/api/portfolio/snapshot") return JsonList.encodeWithList(view.snapshot, "positions", snapshotPositions)
        if (path === "/api/portfolio/positions") return netPositions.encode(view.netPositions())
        return Buffer.from(JSON.stringify(QUERIES[path]!(view)))
      }

      const encoded = (path: string, view: View): Encoded => {
        const hit = cache.get(path)
        if (hit !== undefined && hit.tag === view.tag) return hit
        const entry: Encoded = { tag: view.tag, etag: `"${view.tag}"`, identity: bytesOf(path, view) }
        cache.set(path, entry)
        return entry
      }

      const sendView = (request: IncomingMessage, response: ServerResponse, path: string, view: View): number => {
        const entry = encoded(path, view)
        if (matchesEtag(request.headers["if-none-match"], entry.etag)) {
          response.writeHead(304, { etag: entry.etag, "cache-control": "no-cache", vary: "Accept-Encoding" })
          response.end()
          return 304
        }
        const headers: Record<string, string | number> = { "content-type": "application/json", etag: entry.etag, "cache-control": "no-cache", vary: "Accept-Encoding" }
        let body = entry.identity
        const encoding = body.length >= compressFrom ? negotiate(request.headers["accept-encoding"]) : undefined
        if (encoding === "br") {
          body = entry.br ??= brotliCompressSync(entry.identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4, [zlib.BROTLI_PARAM_SIZE_HINT]: entry.identity.length } })
          headers["content-encoding"] = "br"
        } else if (encoding === "gzip") {
          body = entry.gzip ??= gzipSync(entry.identity, { level: 6 })
          headers["content-encoding"] = "gzip"
        }
        headers["content-length"] = body.length
        response.writeHead(200, headers)
        response.end(request.method === "HEAD" ? undefined : body)
        return 200
      }

      const query = (request: IncomingMessage, response: ServerResponse, path: string, started: number) => {
        const settle = (exit: Exit.Exit<View, CashUnavailable>) => {
          let status: number
          if (Exit.isSuccess(exit)) status = sendView(request, response, path, exit.value)
          else {
            const failure = Cause.failureOption(exit.cause)
            const answer = Option.isSome(failure)
              ? toAnswer(fromCashUnavailable(failure.value))
              : toAnswer(new InternalError({ message: "internal error; the cause is in the service log" }))
            if (Option.isNone(failure)) runSyncExit(Effect.logError("request failed; answered 500", exit.cause).pipe(Effect.annotateLogs({ method: request.method, path })))
            sendJson(response, answer)
            status = answer.status
          }
          log(request.method!, path, status, started)
        }
        const known = service.peekView(Date.now())
        if (known !== undefined) return settle(Exit.succeed(known))
        const exit = runSyncExit(service.view)
        // A balance source that answers asynchronously: wait for it.
        if (Exit.isFailure(exit) && Cause.isDie(exit.cause) && Runtime.isAsyncFiberException(Cause.squash(exit.cause))) {
          runCallback(service.view, { onExit: settle })
        } else settle(exit)
      }

      const ingest = (request: IncomingMessage, response: ServerResponse, path: string, started: number) => {
        const finish = (answer: Answer) => {
          sendJson(response, answer)
          log("POST", path, answer.status, started)
        }
        RequestBody.readIncoming(request, options.maxBodyBytes, (read) => {
          if (Either.isLeft(read)) {
            if (read.left._tag === "BadRequest") badBodies.count++
            return finish(toAnswer(read.left))
          }
          const parsed = RequestBody.parse(read.right)
          if (Either.isLeft(parsed)) {
            badBodies.count++
            return finish(toAnswer(parsed.left))
          }
          const key = request.headers["idempotency-key"]
          IngestAnswer.submit(service, parsed.right, typeof key === "string" ? key : undefined, runAnswer, finish)
        })
      }

      const lane = (request: IncomingMessage, response: ServerResponse): boolean => {
        const method = request.method
        if (method !== "GET" && method !== "HEAD" && method !== "POST") return false
        const path = HttpEdge.pathOf(request.url ?? "/")
        const isQuery = method !== "POST" && QUERIES[path] !== undefined
        const isEvents = method === "POST" && path === EVENTS
        if (!isQuery && !isEvents) return false
        if (cors && request.headers.origin !== undefined) return false
        if (!authorized(request)) return false
        const started = performance.now()
        if (isQuery) {
          query(request, response, path, started)
          return true
        }
        if (RequestBody.mediaTypeError(request.headers["content-type"]) !== undefined) return false
        if (RequestBody.declaredTooLarge(request.headers["content-length"], options.maxBodyBytes) !== undefined) return false
        ingest(request, response, path, started)
        return true
      }

      const uninstall = install(server, lane)
      yield* Effect.addFinalizer(() => Effect.sync(uninstall))
    })
  )
