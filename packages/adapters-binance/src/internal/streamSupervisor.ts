/**
 * Keeps one combined mark-price stream alive: connects with every subscribed symbol in the
 * URL, reconnects with exponential backoff when the socket closes or goes silent, replaces it
 * before Binance's 24-hour cut (the new connection opens before the old one closes), and
 * sends `SUBSCRIBE` / `UNSUBSCRIBE` at run time, at most one control message per spacing.
 */
import type { PriceTick } from "@portfolio/core"
import { Clock, Deferred, Duration, Effect, Exit, Option, PubSub, Queue, Random } from "effect"
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

/** Where the combined stream lives under a base URL: `/market/stream` unless the URL has a path. */
export const streamEndpoint = (wsUrl: string): string => {
  const url = new URL(wsUrl)
  if (url.pathname === "" || url.pathname === "/") url.pathname = "/market/stream"
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

const backoff = (ctx: Context, attempt: number): Effect.Effect<number> =>
  Effect.map(Random.nextRange(0.8, 1.2), (jitter) =>
    Math.round(Math.min(ctx.settings.maxDelayMs, ctx.settings.initialDelayMs * 2 ** Math.max(0, attempt - 1)) * jitter))

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

/** The connection loop; completes `firstAttempt` after the first try, connected or not. */
export const supervise = (ctx: Context, firstAttempt: Deferred.Deferred<void>): Effect.Effect<never> =>
  Effect.gen(function*() {
    let session: StreamSocket.Session | undefined
    let failures = 0
    while (true) {
      if (session === undefined) {
        const opened = yield* Effect.either(connect(ctx))
        yield* Deferred.succeed(firstAttempt, undefined)
        if (opened._tag === "Left") {
          failures += 1
          ctx.status.lastError = opened.left.message
          const delay = yield* backoff(ctx, failures)
          yield* Effect.logWarning(`Binance mark-price stream connect failed (${opened.left.message}); retry in ${delay} ms`)
          yield* Effect.sleep(Duration.millis(delay))
          continue
        }
        session = opened.right
      }
      const ending = yield* watch(ctx, session)
      if (ending._tag === "Aged") {
        const next = yield* Effect.either(connect(ctx))
        const now = yield* Clock.currentTimeMillis
        if (next._tag === "Right") {
          ctx.status.replacements += 1
          yield* Effect.logInfo("Binance mark-price stream replaced before the 24-hour cut")
          yield* retire(ctx, session)
          session = next.right
        } else {
          // Keep the old connection; try again shortly.
          session.replaceAt = now + (yield* backoff(ctx, 1))
        }
        continue
      }
      ctx.status.lastError = ending._tag === "Closed" ? ending.reason : `silent for ${ending.quietMs} ms`
      ctx.status.reconnects += 1
      const now = yield* Clock.currentTimeMillis
      // A connection that lived a while resets the backoff; one that flaps keeps growing it.
      if (now - session.openedAt > ctx.settings.maxDelayMs) failures = 0
      yield* retire(ctx, session)
      session = undefined
      failures += 1
      const delay = yield* backoff(ctx, failures)
      yield* Effect.logWarning(`Binance mark-price stream lost (${ctx.status.lastError}); reconnecting in ${delay} ms`)
      yield* Effect.sleep(Duration.millis(delay))
    }
  })
