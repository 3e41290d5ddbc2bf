/**
 * The `PriceFeed` port on Binance USDⓈ-M futures mark prices: one combined WebSocket stream of
 * `<symbol>@markPrice@1s` on `/market/stream`, symbols added and removed at run time with
 * `SUBSCRIBE` / `UNSUBSCRIBE`. The connection is kept alive: reconnect with exponential backoff
 * and every subscription restored, a silent socket detected and replaced, a planned replacement
 * before Binance's 24-hour cut; while it is down, mark prices are polled from
 * `GET /fapi/v1/premiumIndex`. Health reports the connection and stale prices. Market data is
 * public: no API key is needed.
 *
 * @example
 * const FeedLive = BinancePriceFeed.layer({ wsUrl: "wss://fstream.binance.com" })
 * // then: const feed = yield* PriceFeed; yield* feed.subscribe(["BTCUSDT"])
 *
 * @since 0.1.0
 */
import { type ComponentHealth, PriceFeed, PriceFeedError, type PriceFeedService, type PriceTick } from "@portfolio/core"
import { Clock, Config, type ConfigError, Deferred, Duration, Effect, Layer, Option, PubSub, Queue, type Scope, Stream } from "effect"
import * as BinanceConfig from "./BinanceConfig.js"
import * as BinanceRestClient from "./BinanceRestClient.js"
import { normalizeSymbol, PriceBook } from "./internal/priceBook.js"
import * as RestFallback from "./internal/restFallback.js"
import type * as StreamSocket from "./internal/streamSocket.js"
import * as StreamSupervisor from "./internal/streamSupervisor.js"

/** How the feed connects and when it gives up on a connection. */
export interface Options {
  /**
   * Base WebSocket URL. Default `wss://fstream.binance.com`. Without a path, or with a bare
   * `/market` or `/public`, `…/market/stream` (`…/public/stream`) is used; a path ending in `/ws`
   * becomes `…/stream`; any other path is used as it is.
   */
  readonly wsUrl?: string | undefined
  /** REST base URL of the premiumIndex fallback. Default `https://fapi.binance.com`. Used by {@link layer}; {@link layerOnClient} takes the client's. */
  readonly restUrl?: string | undefined
  /** A subscribed symbol without a price for this long is stale. Default 30 seconds. */
  readonly staleAfter?: Duration.DurationInput | undefined
  /** With subscriptions, a socket quiet for this long is replaced. Default 10 seconds. */
  readonly silentAfter?: Duration.DurationInput | undefined
  /** Without subscriptions (only the server's 3-minute pings arrive). Default 5 minutes. */
  readonly idleSilentAfter?: Duration.DurationInput | undefined
  /** A connection is replaced after this age, before Binance cuts it at 24 h. Default 23 hours. */
  readonly maxConnectionAge?: Duration.DurationInput | undefined
  /** First reconnect delay; doubles per failure (±20 % jitter). Default 500 ms. */
  readonly reconnectInitialDelay?: Duration.DurationInput | undefined
  /** Longest reconnect delay. Default 30 seconds. */
  readonly reconnectMaxDelay?: Duration.DurationInput | undefined
  /** Poll period of the REST fallback while the stream is down. Default 3 seconds. */
  readonly fallbackInterval?: Duration.DurationInput | undefined
  /** WebSocket handshake and REST request timeout. Default 10 seconds. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** How long `subscribe` waits for Binance's answer before trusting the next connection's URL. Default 2 seconds. */
  readonly ackTimeout?: Duration.DurationInput | undefined
  /** How long building the layer waits for the first connection (never failing on it). Default 5 seconds. */
  readonly awaitConnection?: Duration.DurationInput | undefined
  /** Streams per connection (Binance: at most 200). Default 200. */
  readonly maxStreams?: number | undefined
  /** Ticks buffered per slow reader of `ticks` before the oldest are dropped. Default 4096. */
  readonly bufferSize?: number | undefined
  /** `ComponentHealth.required`. Default false: without prices positions are marked at entry. */
  readonly required?: boolean | undefined
}

const ms = (input: Duration.DurationInput | undefined, fallback: Duration.DurationInput): number =>
  Duration.toMillis(Duration.decode(input ?? fallback))

const SYMBOL = /^[A-Z0-9_]+$/

const normalizeAll = (symbols: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, PriceFeedError> => {
  const out = symbols.map(normalizeSymbol)
  const bad = out.find((s) => !SYMBOL.test(s))
  return bad === undefined
    ? Effect.succeed(out)
    : Effect.fail(new PriceFeedError({ reason: `not a Binance symbol: ${JSON.stringify(bad)}`, retryable: false }))
}

/** Builds the feed on the shared REST client; its connection, reader and fallback fibers live in the scope. */
export const make = (options: Options = {}): Effect.Effect<PriceFeedService, never, Scope.Scope | BinanceRestClient.BinanceRestClient> =>
  Effect.gen(function*() {
    const staleAfterMs = ms(options.staleAfter, "30 seconds")
    const connectTimeout = Duration.decode(options.connectTimeout ?? "10 seconds")
    const maxStreams = options.maxStreams ?? 200
    const required = options.required ?? false
    const settings: StreamSupervisor.Settings = {
      silentAfterMs: ms(options.silentAfter, "10 seconds"),
      idleSilentAfterMs: ms(options.idleSilentAfter, "5 minutes"),
      maxConnectionAgeMs: ms(options.maxConnectionAge, "23 hours"),
      initialDelayMs: ms(options.reconnectInitialDelay, "500 millis"),
      maxDelayMs: ms(options.reconnectMaxDelay, "30 seconds"),
      connectTimeoutMs: Duration.toMillis(connectTimeout),
      ackTimeoutMs: ms(options.ackTimeout, "2 seconds"),
      controlSpacingMs: 110
    }
    const ctx: StreamSupervisor.Context = {
      endpoint: StreamSupervisor.streamEndpoint(options.wsUrl ?? BinanceConfig.DEFAULT_WS_URL),
      book: new PriceBook(),
      hub: yield* PubSub.sliding<PriceTick>(options.bufferSize ?? 4096),
      inbox: yield* Queue.unbounded<StreamSocket.Inbound>(),
      settings,
      status: {
        current: undefined,
        sessions: new Set(),
        connects: 0,
        reconnects: 0,
        replacements: 0,
        lastError: undefined,
        lastFrameAt: undefined,
        fallbackActive: false,
        fallbackPolls: 0,
        fallbackError: undefined
      },
      pending: new Map(),
      nextId: 1
    }
    const client = yield* BinanceRestClient.BinanceRestClient
    if (!/\/market\/stream$/.test(new URL(ctx.endpoint).pathname)) {
      yield* Effect.logWarning(
        `Binance stream endpoint ${new URL(ctx.endpoint).pathname} is not /market/stream: Binance sends @markPrice on /market only, so prices may come from the REST fallback`
      )
    }

    // Registered first, so they run after the fibers below are interrupted: readers of `ticks` end.
    yield* Effect.addFinalizer(() => PubSub.shutdown(ctx.hub))
    yield* Effect.addFinalizer(() => Effect.forEach(ctx.status.sessions, (session) => session.terminate, { discard: true }))
    const firstAttempt = yield* Deferred.make<void>()
    yield* Effect.forkScoped(StreamSupervisor.processInbox(ctx))
    yield* Effect.forkScoped(StreamSupervisor.supervise(ctx, firstAttempt))
    yield* Effect.forkScoped(RestFallback.run(ctx, client, { interval: Duration.decode(options.fallbackInterval ?? "3 seconds"), timeout: connectTimeout }))
    yield* Deferred.await(firstAttempt).pipe(Effect.timeout(options.awaitConnection ?? "5 seconds"), Effect.ignore)

    const subscribe = (symbols: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const normalized = yield* normalizeAll(symbols)
        const adding = new Set(normalized.filter((s) => !ctx.book.has(s))).size
        if (ctx.book.size + adding > maxStreams) {
          return yield* Effect.fail(
            new PriceFeedError({ reason: `at most ${maxStreams} streams per connection (${ctx.book.size} subscribed)`, retryable: false })
          )
        }
        const now = yield* Clock.currentTimeMillis
        const wasIdle = ctx.book.size === 0
        const fresh = ctx.book.subscribe(normalized, now)
        const session = ctx.status.current
        if (fresh.length === 0 || session === undefined) return
        // Data is now expected: the quiet time of an idle connection starts over.
        if (wasIdle) session.lastActivityAt = Math.max(session.lastActivityAt, now)
        yield* StreamSupervisor.control(ctx, session, "SUBSCRIBE", fresh).pipe(
          Effect.catchAll((refusal) => {
            ctx.book.unsubscribe(fresh)
            return Effect.fail(new PriceFeedError({ reason: `Binance refused SUBSCRIBE (${refusal.code}: ${refusal.msg})`, retryable: false }))
          })
        )
      })

    const unsubscribe = (symbols: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const removed = ctx.book.unsubscribe(yield* normalizeAll(symbols))
        const session = ctx.status.current
        if (removed.length > 0 && session !== undefined) yield* Effect.ignore(StreamSupervisor.control(ctx, session, "UNSUBSCRIBE", removed))
      })

    const health: Effect.Effect<ComponentHealth> = Effect.map(Clock.currentTimeMillis, (now) => {
      const { status } = ctx
      const stale = ctx.book.stale(now, staleAfterMs)
      const connected = status.current !== undefined
      const subscribed = ctx.book.size
      const details = {
        source: "binance",
        endpoint: ctx.endpoint,
        connected,
        connection_age_ms: status.current === undefined ? null : now - status.current.openedAt,
        last_price_age_ms: status.lastFrameAt === undefined ? null : now - status.lastFrameAt,
        connects: status.connects,
        reconnects: status.reconnects,
        replacements: status.replacements,
        subscribed,
        stale_count: stale.length,
        stale_symbols: stale.slice(0, 20),
        stale_after_ms: Number.isFinite(staleAfterMs) ? staleAfterMs : null,
        fallback_active: status.fallbackActive,
        fallback_polls: status.fallbackPolls,
        used_weight_1m: client.state.usedWeight1m ?? null,
        ...(client.state.blockedUntil > now ? { backoff_until: new Date(client.state.blockedUntil).toISOString(), backoff_status: client.state.blockedBy } : {}),
        ...(status.lastError === undefined ? {} : { last_error: status.lastError }),
        ...(status.fallbackError === undefined ? {} : { fallback_error: status.fallbackError })
      }
      const staleText = `${stale.length} of ${subscribed} symbol(s) stale`
      if (connected && stale.length === 0) {
        return { status: "ok", required, message: `stream connected, ${subscribed} symbol(s) fresh`, details }
      }
      if (!connected && subscribed > 0 && stale.length === subscribed) {
        return { status: "down", required, message: `stream down and no fresh price (${status.lastError ?? "not connected yet"})`, details }
      }
      return {
        status: "degraded",
        required,
        message: connected ? `stream connected, ${staleText}` : `stream down, ${status.fallbackActive ? "serving REST fallback, " : ""}${staleText}`,
        details
      }
    })

    return {
      subscribe,
      unsubscribe,
      ticks: Stream.fromPubSub(ctx.hub),
      latest: (symbol) => Effect.sync(() => Option.fromNullable(ctx.book.latest(normalizeSymbol(symbol)))),
      health
    }
  })

/** The `PriceFeed` port on Binance mark prices with the given options, on the `BinanceRestClient` in context. */
export const layerOnClient = (options: Options = {}): Layer.Layer<PriceFeed, never, BinanceRestClient.BinanceRestClient> =>
  Layer.scoped(PriceFeed, make(options))

/**
 * The `PriceFeed` port on Binance mark prices with the given options, with its REST client
 * for `restUrl` — the same client as a `BinanceAccountBalance.layer` for that URL built with it
 * (see `BinanceRestClient.layer`).
 */
export const layer = (options: Options = {}): Layer.Layer<PriceFeed> =>
  layerOnClient(options).pipe(Layer.provide(BinanceRestClient.layer({ restUrl: options.restUrl })))

/** The options read from the environment: `PORTFOLIO_BINANCE_WS_URL`, `PORTFOLIO_BINANCE_REST_URL`. */
export const optionsConfig: Config.Config<Options> = Config.all({ wsUrl: BinanceConfig.wsUrl, restUrl: BinanceConfig.restUrl })

/** The `PriceFeed` port on Binance configured from the environment. */
export const layerConfig: Layer.Layer<PriceFeed, ConfigError.ConfigError> = Layer.unwrapEffect(Effect.map(optionsConfig, layer))
