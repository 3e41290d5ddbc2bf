/**
 * Keeps one combined mark-price stream alive: connects with every subscribed symbol in the
 * URL, reconnects with a jittered, capped exponential backoff (`Schedule`) when the socket
 * closes, goes silent or does not open, replaces it
 * before Binance's 24-hour cut (the new connection opens before the old one closes), and
 * sends `SUBSCRIBE` / `UNSUBSCRIBE` at run time, at most one control message per spacing.
 */
import type { PriceTick } from "@portfolio/core"
import { Clock, Deferred, Duration, Effect, Exit, Option, PubSub, Queue, Schedule } from "effect"
import { type PriceBook, normalizeSymbol } from "./priceBook.js"
import * as StreamSocket from "./streamSocket.js"
import { markPriceStream } from "./wire.js"

/** Timings of the stream, ms. */
export interface Settings {
  readonly silentAfterMs: number
  readonly idleSilentAfterMs: number
  readonly maxConnectionAgeMs: number
  readonly initialDelayMs: number
  readonly maxDelayMs: number
  readonly connectTimeoutMs: number
  readonly ackTimeoutMs: number
  readonly controlSpacingMs: number
}

/** What the stream is doing, for health. */
export interface Status {
  current: StreamSocket.Session | undefined
  readonly sessions: Set<StreamSocket.Session>
  connects: number
  reconnects: number
  replacements: number
  lastError: string | undefined
  lastFrameAt: number | undefined
  fallbackActive: boolean
  fallbackPolls: number
  fallbackError: string | undefined
}

/** A server's refusal of a control message. */
export interface ServerError {
  readonly code: number
  readonly msg: string
}

/** Everything the stream fibers share. */
export interface Context {
  /** e.g. `wss://fstream.binance.com/market/stream`. */
  readonly endpoint: string
  readonly book: PriceBook
  readonly hub: PubSub.PubSub<PriceTick>
  readonly inbox: Queue.Queue<StreamSocket.Inbound>
  readonly settings: Settings
  readonly status: Status
  readonly pending: Map<number, Deferred.Deferred<void, ServerError>>
  nextId: number
}

/** The combined-stream URL carrying the mark-price streams of `symbols`. */
export const streamUrl = (endpoint: string, symbols: ReadonlyArray<string>): string =>
  `${endpoint}?streams=${symbols.map(markPriceStream).join("/")}`

/**
 * Where the combined stream lives under a base URL: `/market/stream` for a bare host; a routed
 * base (`/market`, `/public`, the "base URLs" of Binance's 2026 routing notice) gets `/stream`
 * appended; a raw-stream path ending in `/ws` becomes `/stream` (the feed reads combined frames
 * only); any other path is used as it is.
 */
export const streamEndpoint = (wsUrl: string): string => {
  const url = new URL(wsUrl)
  const path = url.pathname.replace(/\/+$/, "")
  if (path === "") url.pathname = "/market/stream"
  else if (/^\/(market|public)$/i.test(path)) url.pathname = `${path}/stream`
  else if (/\/ws$/i.test(path)) url.pathname = `${path.slice(0, -3)}/stream`
  else url.pathname = path
  url.search = ""
  return url.toString().replace(/\/+$/, "")
}

/** Parses what the sockets received, in batches: applies prices, answers pending control messages. */
export const processInbox = (ctx: Context): Effect.Effect<never> =>
  Effect.forever(
    Effect.gen(function*() {
      const batch = yield* Queue.takeBetween(ctx.inbox, 1, 4096)
      const now = yield* Clock.currentTimeMillis
      const ticks: Array<PriceTick> = []
      for (const item of batch) {
        item.session.lastActivityAt = now
        if (item._tag === "Ping") continue
        const frame = StreamSocket.parseFrame(item.text)
        if (frame === undefined) continue
        if (frame._tag === "MarkPrice") {
          ctx.status.lastFrameAt = now
          const tick: PriceTick = { symbol: normalizeSymbol(frame.symbol), price: frame.price, at: frame.at }
          if (ctx.book.apply(tick, now)) ticks.push(tick)
        } else if (frame.id !== null && ctx.pending.has(frame.id)) {
          const answer = ctx.pending.get(frame.id)!
          Deferred.unsafeDone(answer, frame._tag === "Ack" ? Exit.void : Exit.fail({ code: frame.code, msg: frame.msg }))
        } else if (frame._tag === "Error") {
          yield* Effect.logWarning(`Binance stream error ${frame.code}: ${frame.msg}`)
        }
      }
      if (ticks.length > 0) yield* PubSub.publishAll(ctx.hub, ticks)
    })
  )

/**
 * Sends `SUBSCRIBE` or `UNSUBSCRIBE` for the symbols' streams and waits for the answer:
 * `"acked"`, or `"unanswered"` when it did not leave or no answer came in time (the next
 * connection's URL carries the book anyway); fails with the server's refusal.
 */
export const control = (
  ctx: Context,
  session: StreamSocket.Session,
  method: "SUBSCRIBE" | "UNSUBSCRIBE",
  symbols: ReadonlyArray<string>
): Effect.Effect<"acked" | "unanswered", ServerError> => {
  const id = ctx.nextId++
  return Effect.gen(function*() {
    const answer = yield* Deferred.make<void, ServerError>()
    ctx.pending.set(id, answer)
    const now = yield* Clock.currentTimeMillis
    const slot = Math.max(now, session.nextControlAt)
    session.nextControlAt = slot + ctx.settings.controlSpacingMs
    if (slot > now) yield* Effect.sleep(Duration.millis(slot - now))
    const sent = yield* Effect.either(session.send(JSON.stringify({ method, params: symbols.map(markPriceStream), id })))
    if (sent._tag === "Left") return "unanswered" as const
    const answered = yield* Deferred.await(answer).pipe(Effect.timeoutOption(Duration.millis(ctx.settings.ackTimeoutMs)))
    return Option.isSome(answered) ? ("acked" as const) : ("unanswered" as const)
  }).pipe(Effect.ensuring(Effect.sync(() => ctx.pending.delete(id))))
}

/** Why the stream needs a new connection: the last one was lost after `livedMs`, or did not open (`livedMs` 0). */
export interface Lost {
  readonly reason: string
  readonly livedMs: number
}

/**
 * When to reconnect: `initialDelay` doubling per failure up to `maxDelay`, each delay jittered
 * ±20 %. A connection that lived longer than `maxDelay` starts the backoff over; one that
 * flaps keeps growing it.
 */
export const reconnectSchedule = (settings: Pick<Settings, "initialDelayMs" | "maxDelayMs">): Schedule.Schedule<readonly [Duration.Duration, Lost], Lost> =>
  Schedule.exponential(Duration.millis(settings.initialDelayMs)).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.millis(settings.maxDelayMs))),
    Schedule.jittered,
    Schedule.intersect(Schedule.identity<Lost>()),
    Schedule.resetWhen(([, lost]) => lost.livedMs > settings.maxDelayMs)
  )

/** Opens a connection carrying the current book, makes it current, and brings its subscriptions in line with the book. */
const connect = (ctx: Context): Effect.Effect<StreamSocket.Session, Error> =>
  Effect.gen(function*() {
    const symbols = ctx.book.symbols()
    const now = yield* Clock.currentTimeMillis
    const session = yield* StreamSocket.open({
      id: ctx.status.connects + 1,
      url: streamUrl(ctx.endpoint, symbols),
      urlSymbols: new Set(symbols),
      now,
      replaceAt: now + ctx.settings.maxConnectionAgeMs,
      connectTimeoutMs: ctx.settings.connectTimeoutMs,
      inbox: ctx.inbox
    })
    ctx.status.connects += 1
    ctx.status.sessions.add(session)
    ctx.status.current = session
    yield* Effect.logInfo(`Binance mark-price stream connected (${symbols.length} streams)`)
    // Symbols added or removed while the connection was opening.
    const missing = ctx.book.symbols().filter((s) => !session.urlSymbols.has(s))
    const extra = [...session.urlSymbols].filter((s) => !ctx.book.has(s))
    if (missing.length > 0) yield* Effect.ignore(control(ctx, session, "SUBSCRIBE", missing))
    if (extra.length > 0) yield* Effect.ignore(control(ctx, session, "UNSUBSCRIBE", extra))
    return session
  })

const retire = (ctx: Context, session: StreamSocket.Session): Effect.Effect<void> =>
  Effect.zipRight(
    session.terminate,
    Effect.sync(() => {
      ctx.status.sessions.delete(session)
      if (ctx.status.current === session) ctx.status.current = undefined
    })
  )

type Ending = { readonly _tag: "Closed"; readonly reason: string } | { readonly _tag: "Silent"; readonly quietMs: number } | { readonly _tag: "Aged" }

const watch = (ctx: Context, session: StreamSocket.Session): Effect.Effect<Ending> => {
  const { idleSilentAfterMs, maxConnectionAgeMs, silentAfterMs } = ctx.settings
  const every = Duration.millis(Math.max(20, Math.min(1_000, Math.min(silentAfterMs, maxConnectionAgeMs) / 4)))
  const poll = Effect.gen(function*() {
    while (true) {
      yield* Effect.sleep(every)
      const now = yield* Clock.currentTimeMillis
      const quiet = now - session.lastActivityAt
      if (quiet > (ctx.book.size > 0 ? silentAfterMs : idleSilentAfterMs)) return { _tag: "Silent", quietMs: quiet } as const
      if (now >= session.replaceAt) return { _tag: "Aged" } as const
    }
  })
  return Effect.raceFirst(Effect.map(Deferred.await(session.closed), (reason): Ending => ({ _tag: "Closed", reason })), poll)
}

/**
 * The connection loop; completes `firstAttempt` after the first try, connected or not. One
 * connection is opened, watched and replaced when it ages; when it is lost (or does not open)
 * the whole is retried on {@link reconnectSchedule}.
 */
export const supervise = (ctx: Context, firstAttempt: Deferred.Deferred<void>): Effect.Effect<never> => {
  const connection: Effect.Effect<never, Lost> = Effect.gen(function*() {
    const opened = yield* Effect.either(connect(ctx))
    yield* Deferred.succeed(firstAttempt, undefined)
    if (opened._tag === "Left") {
      ctx.status.lastError = opened.left.message
      return yield* Effect.fail<Lost>({ reason: `connect failed (${opened.left.message})`, livedMs: 0 })
    }
    let session = opened.right
    while (true) {
      const ending = yield* watch(ctx, session)
      const now = yield* Clock.currentTimeMillis
      if (ending._tag === "Aged") {
        const next = yield* Effect.either(connect(ctx))
        if (next._tag === "Right") {
          ctx.status.replacements += 1
          yield* Effect.logInfo("Binance mark-price stream replaced before the 24-hour cut")
          yield* retire(ctx, session)
          session = next.right
        } else {
          // Keep the old connection; try again shortly.
          session.replaceAt = now + ctx.settings.initialDelayMs
        }
        continue
      }
      ctx.status.lastError = ending._tag === "Closed" ? ending.reason : `silent for ${ending.quietMs} ms`
      ctx.status.reconnects += 1
      yield* retire(ctx, session)
      return yield* Effect.fail<Lost>({ reason: `lost (${ctx.status.lastError})`, livedMs: now - session.openedAt })
    }
  })
  const schedule = reconnectSchedule(ctx.settings).pipe(
    Schedule.tapOutput(([delay, lost]) =>
      Effect.logWarning(
        `Binance mark-price stream ${lost.reason}; reconnecting in about ${Duration.toMillis(Duration.min(delay, Duration.millis(ctx.settings.maxDelayMs)))} ms`
      )
    )
  )
  // The schedule never ends: the retried connection never fails.
  return Effect.orDie(Effect.retry(connection, schedule))
}
