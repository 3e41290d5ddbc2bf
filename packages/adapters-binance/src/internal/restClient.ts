/**
 * The Binance REST client: public and signed GETs over Node's global `fetch`, with the
 * server-time offset applied to every `timestamp`, `-1021` answered by a re-sync and one retry,
 * `429`/`418` honoured (no request leaves before `Retry-After` has passed), the used weight read
 * from `X-MBX-USED-WEIGHT-1M`, and every failure a typed {@link BinanceError}.
 *
 * The API key and secret stay `Redacted` until the moment a header or an HMAC needs them; no
 * error or log line ever carries them, nor the query (which carries the signature).
 */
import { Clock, Duration, Effect, ParseResult, Redacted, Schema } from "effect"
import * as BinanceError from "../BinanceError.js"
import { type Params, queryString, signedQuery } from "./signing.js"
import { ErrorBody, ServerTime } from "./wire.js"

/** The API key and secret of a signed client. */
export interface Credentials {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiSecret: Redacted.Redacted<string>
}

/** How the client talks to Binance. */
export interface Options {
  /** e.g. `https://fapi.binance.com`, without a trailing slash. */
  readonly baseUrl: string
  readonly credentials?: Credentials | undefined
  /** `recvWindow` of signed requests, ms (Binance: default 5000, at most 60000). */
  readonly recvWindow: number
  readonly requestTimeout: Duration.Duration
  /** Re-sync the server-time offset before a signed request when the last sync is older. */
  readonly timeSyncInterval: Duration.Duration
  /** The wait after a 429 / 418 that carries no `Retry-After`. */
  readonly defaultRetryAfter: Duration.Duration
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
  timeSyncedAt: number | undefined
  requestsSent: number
}

/** The client: see the module comment. */
export interface RestClient {
  readonly publicGet: <A, I>(path: string, params: Params, schema: Schema.Schema<A, I>) => Effect.Effect<A, BinanceError.BinanceError>
  readonly signedGet: <A, I>(path: string, params: Params, schema: Schema.Schema<A, I>) => Effect.Effect<A, BinanceError.BinanceError>
  /** Reads `GET /fapi/v1/time` and sets the offset; answers it. */
  readonly syncTime: Effect.Effect<number, BinanceError.BinanceError>
  readonly state: Readonly<State>
}

const retryAfterMs = (header: string | null, now: number, fallback: number): number => {
  if (header === null || header.trim() === "") return fallback
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(header)
  return Number.isFinite(date) ? Math.max(0, date - now) : fallback
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

/** Builds a client. */
export const make = (options: Options): RestClient => {
  const state: State = {
    usedWeight1m: undefined,
    blockedUntil: 0,
    blockedBy: undefined,
    timeOffsetMs: 0,
    timeSyncedAt: undefined,
    requestsSent: 0
  }
  const timeoutMs = Duration.toMillis(options.requestTimeout)

  const heldBack = (path: string, now: number): BinanceError.BinanceError => {
    const facts = { path, status: state.blockedBy ?? 429, retryAfterMs: state.blockedUntil - now, until: state.blockedUntil, sent: false }
    return state.blockedBy === 418 ? new BinanceError.IpBanned(facts) : new BinanceError.RateLimited(facts)
  }

  /** Sends one GET; answers the parsed JSON body of a 2xx. */
  const send = (path: string, query: string, headers: Record<string, string>): Effect.Effect<unknown, BinanceError.BinanceError> =>
    Effect.gen(function*() {
      const before = yield* Clock.currentTimeMillis
      if (before < state.blockedUntil) return yield* Effect.fail(heldBack(path, before))
      const url = `${options.baseUrl}${path}${query.length > 0 ? `?${query}` : ""}`
      state.requestsSent += 1
      const response = yield* Effect.tryPromise({
        try: async (signal) => {
          const answer = await fetch(url, { method: "GET", headers, signal })
          return { status: answer.status, ok: answer.ok, headers: answer.headers, text: await answer.text() }
        },
        catch: (error) => new BinanceError.Unavailable({ path, status: 0, reason: describeNetworkError(error) })
      }).pipe(
        Effect.timeoutFail({
          duration: options.requestTimeout,
          onTimeout: () => new BinanceError.Unavailable({ path, status: 0, reason: `no answer within ${timeoutMs} ms` })
        })
      )
      const text = response.text
      const now = yield* Clock.currentTimeMillis
      const weight = Number(response.headers.get("x-mbx-used-weight-1m"))
      if (Number.isFinite(weight) && response.headers.has("x-mbx-used-weight-1m")) state.usedWeight1m = weight
      const body = parseJson(text)
      const error = Schema.decodeUnknownOption(ErrorBody)(body)
      const code = error._tag === "Some" ? error.value.code : undefined
      const msg = error._tag === "Some" ? error.value.msg : undefined
      if (response.status === 429 || response.status === 418) {
        const wait = retryAfterMs(response.headers.get("retry-after"), now, Duration.toMillis(options.defaultRetryAfter))
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
    })

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

  const syncTime = Effect.gen(function*() {
    const before = yield* Clock.currentTimeMillis
    const body = yield* send("/fapi/v1/time", "", {}).pipe(Effect.flatMap(decode("/fapi/v1/time", ServerTime)))
    const after = yield* Clock.currentTimeMillis
    state.timeOffsetMs = Math.round(body.serverTime - (before + after) / 2)
    state.timeSyncedAt = after
    yield* Effect.logDebug(`Binance server-time offset ${state.timeOffsetMs} ms`)
    return state.timeOffsetMs
  })

  const ensureTimeSynced = Effect.flatMap(Clock.currentTimeMillis, (now) =>
    state.timeSyncedAt === undefined || now - state.timeSyncedAt >= Duration.toMillis(options.timeSyncInterval)
      ? Effect.asVoid(syncTime)
      : Effect.void)

  const publicGet = <A, I>(path: string, params: Params, schema: Schema.Schema<A, I>) =>
    Effect.flatMap(send(path, queryString(params), {}), decode(path, schema))

  const signedOnce = (path: string, params: Params, credentials: Credentials) =>
    Effect.gen(function*() {
      yield* ensureTimeSynced
      const now = yield* Clock.currentTimeMillis
      const query = signedQuery(
        [...params, ["recvWindow", options.recvWindow], ["timestamp", Math.round(now + state.timeOffsetMs)]],
        Redacted.value(credentials.apiSecret)
      )
      return yield* send(path, query, { "X-MBX-APIKEY": Redacted.value(credentials.apiKey) })
    })

  const signedGet = <A, I>(path: string, params: Params, schema: Schema.Schema<A, I>) => {
    const credentials = options.credentials
    if (credentials === undefined) {
      return Effect.fail(new BinanceError.InvalidApiKey({ path, status: 0, msg: "no API key configured" }))
    }
    return signedOnce(path, params, credentials).pipe(
      Effect.catchTag("BinanceTimestampOutsideRecvWindow", (error) =>
        Effect.logWarning(`Binance rejected the timestamp on ${path} (${error.msg ?? error.code}): re-syncing server time`).pipe(
          Effect.zipRight(syncTime),
          Effect.zipRight(signedOnce(path, params, credentials))
        )),
      Effect.flatMap(decode(path, schema))
    )
  }

  return { publicGet, signedGet, syncTime, state }
}
