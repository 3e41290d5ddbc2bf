/**
 * `GET /ws` upgrades, taken on Node's `upgrade` event before the platform sees them (the
 * platform's own WebSocket offers no backpressure: its writes do not wait). The checks, in
 * order: the API key (`X-API-Key`, `Authorization: Bearer`, `?token=`; constant time), the
 * page's `Origin` (this service's own or one of `PORTFOLIO_CORS_ORIGINS`: browsers apply no
 * CORS to WebSockets), then `types`; a refusal is the API's JSON error, with the connection
 * closed. Each upgrade writes the request log line (`http`, status 101 or the refusal's) — the
 * URL's query, which may carry the key, is never logged.
 *
 * Per connection: the first frames, then each batch from the mailbox sent and its last send's
 * callback awaited before the next batch is taken (so a client that does not read holds at
 * most one batch in its socket buffer; the rest coalesces in its mailbox). A ping every
 * heartbeat, whatever the traffic; no pong since the previous ping closes the connection.
 */
import type { OutgoingEventType } from "@portfolio/core"
import { Cause, Duration, Effect, Either, Exit, Fiber, Option, Redacted, Runtime, type Scope } from "effect"
import type { IncomingMessage, Server } from "node:http"
import { STATUS_CODES } from "node:http"
import type { Duplex } from "node:stream"
import { type WebSocket, WebSocketServer } from "ws"
import * as ApiKey from "../ApiKey.js"
import { allowsOrigin } from "../HttpEdge.js"
import { logRequest, RequestLog } from "../Logging.js"
import type { Frame, Mailbox } from "./pushBuffer.js"

/** What the upgrade handler needs from the hub (a `PushHubShape`). */
export interface Hub {
  readonly connect: (types: ReadonlySet<OutgoingEventType>, lastEventId: string | undefined) => Effect.Effect<
    { readonly initial: ReadonlyArray<Frame>; readonly mailbox: Mailbox },
    never,
    Scope.Scope
  >
  readonly heartbeat: Duration.Duration
}

/** The settings of the upgrade handler. */
export interface Settings {
  readonly path: string
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly tokenParam: string
  readonly logRequests: boolean
  readonly unauthorized: string
  /** `PORTFOLIO_CORS_ORIGINS`: the other origins whose pages may open the socket (`*`: any). */
  readonly corsOrigins: ReadonlyArray<string>
  readonly parseTypes: (text: string | undefined) => Either.Either<ReadonlySet<OutgoingEventType>, string>
  readonly next: (mailbox: Mailbox, heartbeatMs: number) => Effect.Effect<ReadonlyArray<Frame> | "heartbeat" | "closed">
}

/** The request's key: bearer token, `X-API-Key`, or the query's token. */
const keysSent = (request: IncomingMessage, url: URL, tokenParam: string): Array<string> => {
  const keys: Array<string> = []
  const authorization = request.headers["authorization"]
  if (typeof authorization === "string" && /^bearer /i.test(authorization)) keys.push(authorization.slice(7))
  const header = request.headers["x-api-key"]
  if (typeof header === "string") keys.push(header)
  const token = url.searchParams.get(tokenParam)
  if (token !== null) keys.push(token)
  return keys
}

/** Answers the upgrade request with a JSON error and closes the connection. */
const refuse = (socket: Duplex, status: number, body: unknown): void => {
  const json = JSON.stringify(body)
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`
  )
}

/** Sends `frames`, resolving when the last one was handed to the socket (or failed). */
const sendAll = (ws: WebSocket, frames: ReadonlyArray<Frame>): Effect.Effect<void> =>
  frames.length === 0
    ? Effect.void
    : Effect.async<void>((resume) => {
      for (let i = 0; i < frames.length - 1; i++) ws.send(frames[i]!.ws)
      ws.send(frames[frames.length - 1]!.ws, () => resume(Effect.void))
    })

/**
 * Takes the upgrades of `settings.path` on `server` for the life of the returned scope's
 * effect; other upgrades go on to the platform.
 */
export const install = (server: Server, hub: Hub, settings: Settings) =>
  Effect.gen(function* () {
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runFork(runtime)
    const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })
    const matches = Option.map(settings.apiKey, ApiKey.matcher)
    const open = new Set<Fiber.RuntimeFiber<void>>()
    const heartbeatMs = Duration.toMillis(hub.heartbeat)
    const listed = allowsOrigin(settings.corsOrigins)
    /**
     * Browsers let any page open a WebSocket anywhere (no CORS), so a page of another site must
     * not read the stream with the user's network position: a browser's upgrade (it sends
     * `Origin`) is taken from this service's own origin or one of `PORTFOLIO_CORS_ORIGINS`.
     */
    const originAllowed = (origin: string | undefined, host: string | undefined): boolean => {
      if (origin === undefined || settings.corsOrigins.includes("*") || listed(origin)) return true
      try {
        return host !== undefined && new URL(origin).host === host.toLowerCase()
      } catch {
        return false
      }
    }

    // The same request log as every other route: its fast writer when the process has one, else the logger.
    const requestLog = yield* Effect.serviceOption(RequestLog)
    const log = (started: number, status: number) => {
      if (!settings.logRequests) return
      const durationMs = performance.now() - started
      const entry = { method: "GET", path: settings.path, status, durationMs }
      if (Option.isSome(requestLog)) return requestLog.value.write(entry)
      run(logRequest(entry))
    }

    const serve = (ws: WebSocket, types: ReadonlySet<OutgoingEventType>, lastEventId: string | undefined) =>
      Effect.scoped(
        Effect.gen(function* () {
          const connection = yield* hub.connect(types, lastEventId)
          // Pings on their own clock, whatever the traffic: a peer that stopped answering is cut
          // even while a send waits for it.
          let answered = true
          ws.on("pong", () => {
            answered = true
          })
          yield* Effect.acquireRelease(
            Effect.sync(() =>
              setInterval(() => {
                if (!answered) return ws.terminate()
                answered = false
                ws.ping()
              }, heartbeatMs)
            ),
            (timer) => Effect.sync(() => clearInterval(timer))
          )
          yield* sendAll(ws, connection.initial)
          while (true) {
            const got = yield* settings.next(connection.mailbox, heartbeatMs)
            if (got === "closed") {
              ws.close(1001, "server shutting down")
              return
            }
            if (got !== "heartbeat") yield* sendAll(ws, got)
          }
        })
      )

    const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
      const url = new URL(request.url ?? "/", "http://localhost")
      if (url.pathname !== settings.path && url.pathname !== `${settings.path}/`) return false
      const started = performance.now()
      socket.on("error", () => {}) // a client that vanishes mid-handshake is not the server's error
      if (Option.isSome(matches) && !keysSent(request, url, settings.tokenParam).some((k) => matches.value(Redacted.make(k)))) {
        refuse(socket, 401, { error: "unauthorized", message: settings.unauthorized })
        log(started, 401)
        return true
      }
      if (!originAllowed(request.headers.origin, request.headers.host)) {
        refuse(socket, 403, { error: "forbidden", message: "WebSocket from another origin: only this service's pages and PORTFOLIO_CORS_ORIGINS may open it" })
        log(started, 403)
        return true
      }
      const types = settings.parseTypes(url.searchParams.get("types") ?? undefined)
      if (Either.isLeft(types)) {
        refuse(socket, 400, { error: "bad_request", message: types.left, details: { parameter: "types" } })
        log(started, 400)
        return true
      }
      const header = request.headers["last-event-id"]
      const lastEventId = typeof header === "string" && header !== "" ? header : url.searchParams.get("last_event_id") ?? undefined
      wss.handleUpgrade(request, socket, head, (ws) => {
        log(started, 101)
        ws.on("error", () => {})
        const fiber = run(serve(ws, types.right, lastEventId))
        open.add(fiber)
        fiber.addObserver((exit) => {
          open.delete(fiber)
          if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) run(Effect.logError("websocket client failed", exit.cause))
          if (ws.readyState === ws.OPEN) ws.close(1011, "server error")
        })
        ws.on("close", () => fiber.unsafeInterruptAsFork(fiber.id()))
      })
      return true
    }

    const emit = server.emit
    const intercept = function(this: Server, event: string | symbol, ...args: Array<unknown>): boolean {
      if (event === "upgrade" && onUpgrade(args[0] as IncomingMessage, args[1] as Duplex, args[2] as Buffer)) return true
      return (emit as (...all: Array<unknown>) => boolean).call(this, event, ...args)
    }
    server.emit = intercept as typeof server.emit
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        if (server.emit === intercept) server.emit = emit
        for (const client of wss.clients) client.close(1001, "server shutting down")
        yield* Fiber.interruptAll(open)
        for (const client of wss.clients) client.terminate()
        wss.close()
      })
    )
  })
