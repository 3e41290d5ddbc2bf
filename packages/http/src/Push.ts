/**
 * Live push (DESIGN.md §6 "Push"): the events the service publishes
 * (`portfolio.snapshot_updated`, `portfolio.pnl_updated`, `portfolio.exposure_updated`,
 * `portfolio.drawdown_updated`) carried to browsers and other clients as they are published,
 * over Server-Sent Events (`GET /api/portfolio/stream`) and WebSocket (`GET /ws`).
 *
 * - **Source**: the service's own `published` stream — what it publishes, whatever the bus
 *   (in-process or Redis), in this process.
 * - **Encoding once**: each event is encoded once (SSE bytes and WebSocket text) and the same
 *   frame is handed to every client.
 * - **First state and resume**: a client first gets the latest event of each type it asked for;
 *   with `Last-Event-ID` naming an event still in the ring (the last {@link Options.ringSize},
 *   1 024), every event after it instead.
 * - **Backpressure**: each client has a mailbox of at most {@link Options.mailboxBound} (32)
 *   frames; a client that does not keep up has it compacted to the latest frame of each type,
 *   and nothing more is written to its connection until it has taken what was written
 *   (the response stream waits for `drain`; a WebSocket send waits for its callback). What one
 *   client can hold is thus bounded: at most 32 frame references (shared with every other
 *   client) plus one batch of them in its socket's buffer — never a queue that grows with the
 *   number of events.
 * - **Heartbeats**: after {@link Options.heartbeat} (15 s) of silence an SSE comment
 *   `: heartbeat`; a WebSocket ping every heartbeat (a connection that did not answer the
 *   previous one is closed, also while a send waits for it).
 *
 * @since 0.2.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { type OutgoingEventType, OutgoingPayloads, PortfolioService } from "@portfolio/core"
import type { Server as NodeServer } from "node:http"
import { Chunk, Context, Duration, Effect, Either, Layer, Option, type Redacted, type Scope, Stream } from "effect"
import { BadRequest, Unauthorized } from "./ApiError.js"
import { PortfolioApi } from "./Api.js"
import * as ApiKey from "./ApiKey.js"
import { type Frame, frame, Mailbox, Ring, seqOf } from "./internal/pushBuffer.js"
import * as PushSocket from "./internal/pushSocket.js"
import { PushAuth, TOKEN_PARAM, WS_PATH } from "./PushApi.js"

/** The settings of the push hub. */
export interface Options {
  /** How many of the last events are kept for `Last-Event-ID` resume (default 1 024). */
  readonly ringSize?: number | undefined
  /** The most frames one client may have waiting (default 32); see the module doc. */
  readonly mailboxBound?: number | undefined
  /** Silence after which a heartbeat is sent (default 15 seconds). */
  readonly heartbeat?: Duration.DurationInput | undefined
}

/** The defaults of {@link Options}. */
export const defaults = { ringSize: 1024, mailboxBound: 32, heartbeat: Duration.seconds(15) } as const

/** Every type a client may ask for, by its full and its short name (`snapshot`, `pnl`, …). */
export const EVENT_TYPES: ReadonlyMap<string, OutgoingEventType> = new Map(
  (Object.keys(OutgoingPayloads) as Array<OutgoingEventType>).flatMap((t) => [
    [t, t] as const,
    [t.replace(/^portfolio\./, ""), t] as const,
    [t.replace(/^portfolio\./, "").replace(/_updated$/, ""), t] as const
  ])
)

/** The event types named by a `types=` parameter (all when absent or empty), or why it is wrong. */
export const parseTypes = (text: string | undefined): Either.Either<ReadonlySet<OutgoingEventType>, string> => {
  const names = (text ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")
  if (names.length === 0) return Either.right(new Set(EVENT_TYPES.values()))
  const types = new Set<OutgoingEventType>()
  for (const name of names) {
    const type = EVENT_TYPES.get(name)
    if (type === undefined) {
      return Either.left(`unknown event type ${JSON.stringify(name.slice(0, 64))} in types; known: ${[...new Set(EVENT_TYPES.values())].join(", ")} (or snapshot, pnl, exposure, drawdown)`)
    }
    types.add(type)
  }
  return Either.right(types)
}

/** One client's connection to the hub. */
export interface Connection {
  /** What to send first: the events after `Last-Event-ID`, or the latest of each type. */
  readonly initial: ReadonlyArray<Frame>
  /** Whether `initial` is a resume after `Last-Event-ID` (else the latest of each type). */
  readonly resumed: boolean
  /** What arrives from now on. */
  readonly mailbox: Mailbox
}

/** Counters of the hub. */
export interface Stats {
  readonly clients: number
  /** Events published since start. */
  readonly published: number
  /** Events kept for resume. */
  readonly ring: number
  /** Frames dropped for slow clients because a later one of the same type replaced them. */
  readonly coalesced: number
}

/** The push hub: the published events, kept and fanned out to the connected clients. */
export interface PushHubShape {
  /** Connects a client for `types`, resuming after `lastEventId` when it can; disconnects it when the scope closes. */
  readonly connect: (types: ReadonlySet<OutgoingEventType>, lastEventId: string | undefined) => Effect.Effect<Connection, never, Scope.Scope>
  /** The connected clients' mailboxes (for health and tests). */
  readonly mailboxes: () => ReadonlyArray<Mailbox>
  readonly stats: () => Stats
  readonly heartbeat: Duration.Duration
  /** Ends every connection (at shutdown, before the server drains). */
  readonly close: Effect.Effect<void>
}

/** The push hub of the running service. */
export class PushHub extends Context.Tag("@portfolio/http/PushHub")<PushHub, PushHubShape>() {}

/** The hub on the service in context, fed by its `published` stream until the layer closes. */
export const layer = (options: Options = {}): Layer.Layer<PushHub, never, PortfolioService> =>
  Layer.scoped(
    PushHub,
    Effect.gen(function* () {
      const service = yield* PortfolioService
      const ring = new Ring(options.ringSize ?? defaults.ringSize)
      const bound = options.mailboxBound ?? defaults.mailboxBound
      const clients = new Set<Mailbox>()
      // Ids name the process's life too, so an id of an earlier run is never taken for one of this.
      const boot = Date.now().toString(36)
      let seq = 0
      let closed = false
      let gone = 0

      yield* service.published.pipe(
        Stream.runForEach((event) =>
          Effect.sync(() => {
            const f = frame(boot, ++seq, event.type, event.payloadJson)
            ring.push(f)
            for (const m of clients) m.offer(f)
          })
        ),
        Effect.forkScoped
      )

      const close = Effect.sync(() => {
        closed = true
        for (const m of clients) m.close()
      })
      yield* Effect.addFinalizer(() => close)

      const SNAPSHOT: OutgoingEventType = "portfolio.snapshot_updated"
      /**
       * Before the first published snapshot (the service had published its first one before the
       * hub listened), a client asking for snapshots is given the current one, read from the
       * service, under the id of the last event (`<boot>-<lastSeq>`): its state as of then.
       */
      const currentSnapshot = (types: ReadonlySet<OutgoingEventType>, lastEventId: string | undefined) =>
        lastEventId === undefined && types.has(SNAPSHOT) && !ring.has(SNAPSHOT)
          ? Effect.option(service.snapshot)
          : Effect.succeedNone

      const connect = (types: ReadonlySet<OutgoingEventType>, lastEventId: string | undefined) =>
        Effect.acquireRelease(
          Effect.flatMap(currentSnapshot(types, lastEventId), (current) =>
            // One synchronous step: no event can come between what is read from the ring and the mailbox's start.
            Effect.sync((): Connection => {
              const after = seqOf(boot, lastEventId)
              const replay = after === undefined ? undefined : ring.after(after, types)
              const mailbox = new Mailbox(types, bound, ring.lastSeq)
              if (closed) mailbox.close()
              else clients.add(mailbox)
              const latest = ring.latestOf(types)
              const first = Option.isSome(current) && !ring.has(SNAPSHOT) ? [frame(boot, ring.lastSeq, SNAPSHOT, JSON.stringify(current.value)), ...latest] : latest
              return { initial: replay ?? first, resumed: replay !== undefined, mailbox }
            })
          ),
          (c) =>
            Effect.sync(() => {
              if (clients.delete(c.mailbox)) gone += c.mailbox.coalesced
              c.mailbox.close()
            })
        )

      return {
        connect,
        mailboxes: () => [...clients],
        stats: () => ({
          clients: clients.size,
          published: seq,
          ring: ring.size,
          coalesced: gone + [...clients].reduce((n, m) => n + m.coalesced, 0)
        }),
        heartbeat: Duration.decode(options.heartbeat ?? defaults.heartbeat),
        close
      }
    })
  )

const encoder = new TextEncoder()
/** The first bytes of a stream: the reconnection delay, and the headers flushed at once. */
const OPENING = encoder.encode("retry: 1000\n: connected\n\n")
/** The SSE heartbeat, a comment. */
export const HEARTBEAT = encoder.encode(": heartbeat\n\n")

/**
 * What a client's mailbox gives next: its frames, `"heartbeat"` after `heartbeatMs` of
 * silence, or `"closed"` once it is closed and empty.
 */
export const next = (mailbox: Mailbox, heartbeatMs: number): Effect.Effect<ReadonlyArray<Frame> | "heartbeat" | "closed"> =>
  Effect.async((resume) => {
    const timer = setTimeout(() => {
      cancel()
      resume(Effect.succeed("heartbeat"))
    }, heartbeatMs)
    const cancel = mailbox.onReady(() => {
      clearTimeout(timer)
      resume(Effect.succeed(mailbox.size === 0 ? "closed" : mailbox.takeAll()))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      cancel()
    })
  })

/** The SSE body of a connection: the opening, the first frames, then what arrives (and heartbeats) until it closes. */
export const eventStream = (connection: Connection, heartbeat: Duration.Duration): Stream.Stream<Uint8Array> => {
  const ms = Duration.toMillis(heartbeat)
  return Stream.concat(
    Stream.fromChunk(Chunk.fromIterable([OPENING, ...connection.initial.map((f) => f.sse)])),
    Stream.repeatEffectChunkOption(
      Effect.flatMap(next(connection.mailbox, ms), (got) =>
        got === "closed"
          ? Effect.fail(Option.none())
          : Effect.succeed(got === "heartbeat" ? Chunk.of(HEARTBEAT) : Chunk.fromIterable(got.map((f) => f.sse)))
      )
    )
  )
}

/** The answer of `GET /ws` without an upgrade. */
const upgradeRequired = HttpServerResponse.unsafeJson(
  { error: "upgrade_required", message: "GET /ws opens a WebSocket: send Connection: Upgrade and Upgrade: websocket" },
  { status: 426, headers: { upgrade: "websocket", connection: "Upgrade" } }
)

/** The push routes of the API (`PushApi`), on the hub in context. */
export const handlers = HttpApiBuilder.group(PortfolioApi, "push", (h) =>
  Effect.gen(function* () {
    const hub = yield* PushHub
    return h
      .handle("stream", ({ request, urlParams }) =>
        Effect.gen(function* () {
          const types = parseTypes(urlParams.types)
          if (Either.isLeft(types)) return yield* Effect.fail(new BadRequest({ message: types.left, details: { parameter: "types" } }))
          const header = request.headers["last-event-id"]
          const lastEventId = typeof header === "string" && header !== "" ? header : urlParams.last_event_id
          const body = Stream.unwrapScoped(Effect.map(hub.connect(types.right, lastEventId), (c) => eventStream(c, hub.heartbeat)))
          return HttpServerResponse.stream(body, {
            contentType: "text/event-stream",
            headers: { "cache-control": "no-cache, no-transform", "x-accel-buffering": "no" }
          })
        })
      )
      .handle("ws", () => Effect.succeed(upgradeRequired))
  })
)

/** The message of a refused key on the push routes. */
export const UNAUTHORIZED_MESSAGE = "missing or wrong API key: send it in the X-API-Key header, as Authorization: Bearer <key>, or as the query parameter token"

/**
 * The push routes' key check for a configured key (`Option.none()`: every request passes):
 * `Authorization: Bearer`, then `X-API-Key`, then `?token=`, each compared in constant time.
 */
export const authLayer = (key: Option.Option<Redacted.Redacted<string>>): Layer.Layer<PushAuth> =>
  Layer.sync(PushAuth, () => {
    if (Option.isNone(key)) return { bearer: () => Effect.void, apiKey: () => Effect.void, token: () => Effect.void }
    const matches = ApiKey.matcher(key.value)
    const refused = Effect.fail(new Unauthorized({ message: UNAUTHORIZED_MESSAGE }))
    const check = (sent: Redacted.Redacted<string>) => (matches(sent) ? Effect.void : refused)
    // The platform hands over `Authorization` minus its first 7 characters whatever the scheme: checked here.
    const bearer = (sent: Redacted.Redacted<string>) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        /^bearer /i.test(request.headers["authorization"] ?? "") && matches(sent) ? Effect.void : refused
      )
    return { bearer, apiKey: check, token: check }
  })

/** The settings of {@link webSocketLayer}. */
export interface WebSocketSettings {
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly logRequests: boolean
  /** Origins besides the service's own whose pages may open the socket (`PORTFOLIO_CORS_ORIGINS`). */
  readonly corsOrigins: ReadonlyArray<string>
}

/**
 * `GET /ws` upgrades on `server` (Node's `upgrade` event, before the platform), served from the
 * hub in context until the layer closes; see `internal/pushSocket`. Other upgrades are left to
 * the platform.
 */
export const webSocketLayer = (server: NodeServer, settings: WebSocketSettings): Layer.Layer<never, never, PushHub> =>
  Layer.scopedDiscard(
    Effect.flatMap(PushHub, (hub) =>
      PushSocket.install(server, hub, {
        path: WS_PATH,
        apiKey: settings.apiKey,
        tokenParam: TOKEN_PARAM,
        logRequests: settings.logRequests,
        unauthorized: UNAUTHORIZED_MESSAGE,
        corsOrigins: settings.corsOrigins,
        parseTypes,
        next
      })
    )
  )
