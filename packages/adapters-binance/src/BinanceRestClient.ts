/**
 * The Binance REST client, one per exchange endpoint, shared by `BinanceAccountBalance` and
 * `BinancePriceFeed`: Binance limits and bans per IP, so the two adapters spend one request
 * weight budget (an effect `RateLimiter`) and share one backoff — a `429`/`418` seen by the
 * balance holds the price feed's REST fallback back too, and the other way round.
 *
 * Public and signed GETs over Node's global `fetch`, with the server-time offset applied to
 * every `timestamp`, `-1021` answered by a re-sync and one retry, `429`/`418` honoured (no
 * request leaves before `Retry-After` has passed, or without that header the ban time stated in
 * Binance's message, `… banned until <epoch ms>`), the used weight read from
 * `X-MBX-USED-WEIGHT-1M`, and every failure a typed {@link BinanceError}. The API key and
 * secret stay `Redacted` until a header or an HMAC needs them; no error or log line ever
 * carries them, nor the query (which carries the signature).
 *
 * @example
 * // The public layers of the adapters build the client themselves; built together (one
 * // `Layer.merge`, one runtime) with the same `restUrl`, they get the same one. Explicitly:
 * const Exchange = Layer.merge(BinanceAccountBalance.layerOnClient(balance), BinancePriceFeed.layerOnClient(prices)).pipe(
 *   Layer.provide(BinanceRestClient.layer({ restUrl }))
 * )
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, ParseResult, RateLimiter, Redacted, Schema, type Scope } from "effect"
import * as BinanceConfig from "./BinanceConfig.js"
import * as BinanceError from "./BinanceError.js"
import { type Params, queryString, signedQuery } from "./internal/signing.js"
import { ErrorBody, requestWeight, ServerTime } from "./internal/wire.js"

/** How the client talks to one Binance endpoint. */
export interface Options {
  /** Default `https://fapi.binance.com`; a trailing slash is ignored. */
  readonly restUrl?: string | undefined
  /**
   * Request weight spent per minute at most, a token bucket refilled over the minute. Default
   * 1200: half of Binance's 2400 per IP, so that even a full bucket spent at once and refilled
   * never passes 2400 in any minute.
   */
  readonly weightPerMinute?: number | undefined
  /** Per request, unless the call says otherwise. Default 10 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /**
   * The wait after a 429 / 418 that carries neither `Retry-After` nor a ban time in its message
   * (`… banned until <epoch ms>`). Default 60 seconds.
   */
  readonly defaultRetryAfter?: Duration.DurationInput | undefined
}

/** What a signed request is signed with, and how. */
export interface Signer {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiSecret: Redacted.Redacted<string>
  /** `recvWindow` of signed requests, ms (Binance: default 5000, at most 60000). */
  readonly recvWindow: number
  /** Re-sync the server-time offset before a signed request when the last sync is older. */
  readonly timeSyncInterval: Duration.DurationInput
  /** Per request. Default: the client's `requestTimeout`. */
  readonly requestTimeout?: Duration.DurationInput | undefined
}

/** What the client knows of the exchange, for health. */
export interface State {
  /** `X-MBX-USED-WEIGHT-1M` of the last answer. */
  usedWeight1m: number | undefined
  /** Epoch ms before which no request is sent (0: none). */
  blockedUntil: number
  blockedBy: 429 | 418 | undefined
  /** Server time − local time, ms: added to every `timestamp`. */
  timeOffsetMs: number
  /** How far the offset may be off: half the round trip it was measured over (+1 ms of rounding). */
  timeOffsetUncertaintyMs: number
  timeSyncedAt: number | undefined
  requestsSent: number
}

/** The client: see the module comment. */
export interface Service {
  readonly publicGet: <A, I>(
    path: string,
    params: Params,
    schema: Schema.Schema<A, I>,
    timeout?: Duration.DurationInput
  ) => Effect.Effect<A, BinanceError.BinanceError>
  readonly signedGet: <A, I>(signer: Signer, path: string, params: Params, schema: Schema.Schema<A, I>) => Effect.Effect<A, BinanceError.BinanceError>
  /** Reads `GET /fapi/v1/time` and sets the offset; answers it. */
  readonly syncTime: Effect.Effect<number, BinanceError.BinanceError>
  readonly state: Readonly<State>
}

/** The shared client: see the module comment. */
export class BinanceRestClient extends Context.Tag("@portfolio/adapters-binance/BinanceRestClient")<BinanceRestClient, Service>() {}

/** `Retry-After` in ms (seconds or an HTTP date); `undefined` when absent or unreadable. */
const retryAfterMs = (header: string | null, now: number): number | undefined => {
  if (header === null || header.trim() === "") return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(header)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}

/** Binance bans for 2 minutes to 3 days: a parsed ban longer than this is not believed. */
const LONGEST_BAN_MS = 3 * 24 * 60 * 60 * 1000

/**
 * The end of a ban as Binance's 418 (or 429) message states it, in the server's epoch ms:
 * `"Way too much request weight used; IP banned until 1620286253180. Please use …"`.
 */
export const bannedUntil = (msg: string | undefined): number | undefined => {
  const match = msg === undefined ? null : /banned until (\d{12,14})\b/i.exec(msg)
  return match === null ? undefined : Number(match[1])
}

/** An HTTP `Date` header as epoch ms: second precision, truncated, so the wait it gives errs long, never short. */
const serverDate = (header: string | null): number | undefined => {
  const date = header === null ? Number.NaN : Date.parse(header)
  return Number.isFinite(date) ? date : undefined
}

/** A network error in words, without the URL (its query holds the signature). */
const describeNetworkError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : ""
  return `${error.message}${cause}`
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const resolve = (options: Options) => ({
  restUrl: (options.restUrl ?? BinanceConfig.DEFAULT_REST_URL).replace(/\/+$/, ""),
  weightPerMinute: Math.max(1, Math.floor(options.weightPerMinute ?? 1_200)),
  requestTimeoutMs: Duration.toMillis(Duration.decode(options.requestTimeout ?? "10 seconds")),
  defaultRetryAfterMs: Duration.toMillis(Duration.decode(options.defaultRetryAfter ?? "60 seconds"))
})

/** Builds a client; its rate limiter lives in the scope. */
export const make = (options: Options = {}): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const settings = resolve(options)
    const limiter = yield* RateLimiter.make({ limit: settings.weightPerMinute, interval: "1 minute", algorithm: "token-bucket" })
    const state: State = {
      usedWeight1m: undefined,
      blockedUntil: 0,
      blockedBy: undefined,
      timeOffsetMs: 0,
      timeOffsetUncertaintyMs: 0,
      timeSyncedAt: undefined,
      requestsSent: 0
    }

    /** Fails, without sending, while an earlier 429 / 418 asks to wait. */
    const notHeldBack = (path: string) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (now >= state.blockedUntil) return Effect.void
        const facts = { path, status: state.blockedBy ?? 429, retryAfterMs: state.blockedUntil - now, until: state.blockedUntil, sent: false }
        return Effect.fail(state.blockedBy === 418 ? new BinanceError.IpBanned(facts) : new BinanceError.RateLimited(facts))
      })

    /** Sends one GET once the budget allows it; answers the parsed JSON body of a 2xx. */
    const send = (
      path: string,
      weight: number,
      query: string,
      headers: Record<string, string>,
      timeoutMs: number
    ): Effect.Effect<unknown, BinanceError.BinanceError> =>
      Effect.gen(function*() {
        const url = `${settings.restUrl}${path}${query.length > 0 ? `?${query}` : ""}`
        state.requestsSent += 1
        const response = yield* Effect.tryPromise({
          try: async (signal) => {
            const answer = await fetch(url, { method: "GET", headers, signal })
            return { status: answer.status, ok: answer.ok, headers: answer.headers, text: await answer.text() }
          },
          catch: (error) => new BinanceError.Unavailable({ path, status: 0, reason: describeNetworkError(error) })
        }).pipe(
          Effect.timeoutFail({
            duration: Duration.millis(timeoutMs),
            onTimeout: () => new BinanceError.Unavailable({ path, status: 0, reason: `no answer within ${timeoutMs} ms` })
          })
        )
        const now = yield* Clock.currentTimeMillis
        const weightUsed = Number(response.headers.get("x-mbx-used-weight-1m"))
        if (Number.isFinite(weightUsed) && response.headers.has("x-mbx-used-weight-1m")) state.usedWeight1m = weightUsed
        const body = parseJson(response.text)
        const error = Schema.decodeUnknownOption(ErrorBody)(body)
        const code = error._tag === "Some" ? error.value.code : undefined
        const msg = error._tag === "Some" ? error.value.msg : undefined
        if (response.status === 429 || response.status === 418) {
          // Retry-After when sent; else the ban's end from the message, a server time: converted
          // with the known offset, or with the answer's Date header when no offset was read yet.
          const until = bannedUntil(msg)
          // The offset is known to ± half its round trip: wait that much longer, never less than the ban.
          const serverNow = state.timeSyncedAt !== undefined
            ? now + state.timeOffsetMs - state.timeOffsetUncertaintyMs
            : serverDate(response.headers.get("date")) ?? now
          const fromBody = until === undefined ? undefined : Math.min(LONGEST_BAN_MS, Math.max(0, until - serverNow))
          const wait = retryAfterMs(response.headers.get("retry-after"), now) ?? fromBody ?? settings.defaultRetryAfterMs
          state.blockedUntil = Math.max(state.blockedUntil, now + wait)
          state.blockedBy = response.status
          yield* Effect.logWarning(`Binance answered ${response.status} on ${path}: no request for ${wait} ms`)
          const facts = { path, status: response.status, code, msg, retryAfterMs: wait, until: state.blockedUntil, sent: true }
          return yield* Effect.fail(response.status === 418 ? new BinanceError.IpBanned(facts) : new BinanceError.RateLimited(facts))
        }
        if (!response.ok) return yield* Effect.fail(BinanceError.fromResponse({ path, status: response.status, code, msg }))
        if (body === undefined) {
          return yield* Effect.fail(new BinanceError.UnexpectedResponse({ path, status: response.status, reason: "body is not JSON" }))
        }
        return body
      }).pipe(
        // Held back before waiting for the budget, and again after (a ban may have come meanwhile).
        (request) => Effect.zipRight(notHeldBack(path), request),
        limiter,
        RateLimiter.withCost(Math.min(weight, settings.weightPerMinute)),
        (limited) => Effect.zipRight(notHeldBack(path), limited)
      )

    const decode = <A, I>(path: string, schema: Schema.Schema<A, I>) => (body: unknown) =>
      Schema.decodeUnknown(schema)(body).pipe(
        Effect.mapError((error) =>
          new BinanceError.UnexpectedResponse({
            path,
            status: 200,
            reason: ParseResult.TreeFormatter.formatErrorSync(error)
          })
        )
      )

    const syncTimeWithin = (timeoutMs: number) =>
      Effect.gen(function*() {
        const before = yield* Clock.currentTimeMillis
        const body = yield* send("/fapi/v1/time", 1, "", {}, timeoutMs).pipe(Effect.flatMap(decode("/fapi/v1/time", ServerTime)))
        const after = yield* Clock.currentTimeMillis
        state.timeOffsetMs = Math.round(body.serverTime - (before + after) / 2)
        state.timeOffsetUncertaintyMs = Math.ceil((after - before) / 2) + 1
        state.timeSyncedAt = after
        yield* Effect.logDebug(`Binance server-time offset ${state.timeOffsetMs} ms`)
        return state.timeOffsetMs
      })

    const timeoutOf = (input: Duration.DurationInput | undefined) =>
      input === undefined ? settings.requestTimeoutMs : Duration.toMillis(Duration.decode(input))

    const publicGet = <A, I>(path: string, params: Params, schema: Schema.Schema<A, I>, timeout?: Duration.DurationInput) =>
      Effect.flatMap(send(path, requestWeight(path, params), queryString(params), {}, timeoutOf(timeout)), decode(path, schema))

    const signedOnce = (signer: Signer, path: string, params: Params) =>
      Effect.gen(function*() {
        const timeoutMs = timeoutOf(signer.requestTimeout)
        const synced = yield* Clock.currentTimeMillis
        if (state.timeSyncedAt === undefined || synced - state.timeSyncedAt >= Duration.toMillis(Duration.decode(signer.timeSyncInterval))) {
          yield* syncTimeWithin(timeoutMs)
        }
        const now = yield* Clock.currentTimeMillis
        const query = signedQuery(
          [...params, ["recvWindow", signer.recvWindow], ["timestamp", Math.round(now + state.timeOffsetMs)]],
          Redacted.value(signer.apiSecret)
        )
        return yield* send(path, requestWeight(path, params), query, { "X-MBX-APIKEY": Redacted.value(signer.apiKey) }, timeoutMs)
      })

    const signedGet = <A, I>(signer: Signer, path: string, params: Params, schema: Schema.Schema<A, I>) =>
      signedOnce(signer, path, params).pipe(
        Effect.catchTag("BinanceTimestampOutsideRecvWindow", (error) =>
          Effect.logWarning(`Binance rejected the timestamp on ${path} (${error.msg ?? error.code}): re-syncing server time`).pipe(
            Effect.zipRight(syncTimeWithin(timeoutOf(signer.requestTimeout))),
            Effect.zipRight(signedOnce(signer, path, params))
          )),
        Effect.flatMap(decode(path, schema))
      )

    return { publicGet, signedGet, syncTime: syncTimeWithin(settings.requestTimeoutMs), state }
  })

const layers = new Map<string, Layer.Layer<BinanceRestClient>>()

/**
 * The client for these options. Equal options give the same `Layer` value, and Effect builds
 * a layer value once per build: every adapter built in one runtime for the same endpoint (the
 * adapters' own `layer`s included) shares one client, its budget and its backoff.
 */
export const layer = (options: Options = {}): Layer.Layer<BinanceRestClient> => {
  const resolved = resolve(options)
  const key = JSON.stringify(resolved)
  const known = layers.get(key)
  if (known !== undefined) return known
  const built = Layer.scoped(BinanceRestClient, make(options))
  layers.set(key, built)
  return built
}
