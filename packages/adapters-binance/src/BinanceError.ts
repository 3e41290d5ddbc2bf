/**
 * What can go wrong talking to Binance, as typed values. Binance answers errors as
 * `{ "code": <negative int>, "msg": <text> }` with a 4xx/5xx status; these classes name the
 * codes the adapter acts on and keep the facts (code, Binance's message, endpoint, status).
 * None of them ever holds the API key or secret.
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** The fields every Binance error carries. */
interface Facts {
  /** The endpoint path, e.g. `/fapi/v3/balance` (never the query: it holds the signature). */
  readonly path: string
  /** The HTTP status, 0 when no response arrived. */
  readonly status: number
  /** Binance's error code, when it sent one. */
  readonly code?: number | undefined
  /** Binance's message, when it sent one. */
  readonly msg?: string | undefined
}

/** `-2014` (API-key format invalid) or `-2015` (invalid API-key, IP, or permissions): fix the key. */
export class InvalidApiKey extends Data.TaggedError("BinanceInvalidApiKey")<Facts> {
  /** Retrying with the same key cannot succeed. */
  readonly retryable = false
  override get message(): string {
    return `Binance rejected the API key (${this.code}: ${this.msg ?? "no message"}) on ${this.path}`
  }
}

/** `-1022`: the signature does not match: the secret is wrong (or the query was altered). */
export class InvalidSignature extends Data.TaggedError("BinanceInvalidSignature")<Facts> {
  /** Retrying with the same secret cannot succeed. */
  readonly retryable = false
  override get message(): string {
    return `Binance rejected the request signature (${this.code}) on ${this.path}: check the API secret`
  }
}

/**
 * `-1021`: the request's `timestamp` is outside `recvWindow` of the server's time, or more
 * than 1 s ahead of it. The client re-syncs its server-time offset and retries once.
 */
export class TimestampOutsideRecvWindow extends Data.TaggedError("BinanceTimestampOutsideRecvWindow")<Facts> {
  /** Retryable after a time re-sync. */
  readonly retryable = true
  override get message(): string {
    return `Binance rejected the request timestamp (${this.code}: ${this.msg ?? "no message"}) on ${this.path}`
  }
}

/** Facts of a rate-limit answer. */
interface Backoff extends Facts {
  /** How long no request may be sent, from `Retry-After` (ms). */
  readonly retryAfterMs: number
  /** Epoch ms before which no request is sent. */
  readonly until: number
  /** False when the client refused to send because an earlier answer asked it to wait. */
  readonly sent: boolean
}

/** HTTP `429`: the request weight limit was hit; wait `Retry-After` or risk a ban. */
export class RateLimited extends Data.TaggedError("BinanceRateLimited")<Backoff> {
  /** Retryable once `until` has passed. */
  readonly retryable = true
  override get message(): string {
    const what = this.sent ? `Binance answered 429 on ${this.path}` : `request to ${this.path} held back`
    return `${what}: rate limited, no request before ${new Date(this.until).toISOString()}`
  }
}

/** HTTP `418`: the IP is banned for ignoring 429s; wait `Retry-After`. */
export class IpBanned extends Data.TaggedError("BinanceIpBanned")<Backoff> {
  /** Retryable once `until` has passed. */
  readonly retryable = true
  override get message(): string {
    const what = this.sent ? `Binance answered 418 on ${this.path}` : `request to ${this.path} held back`
    return `${what}: IP banned, no request before ${new Date(this.until).toISOString()}`
  }
}

/** Any other `{code,msg}` answer (e.g. `-1121` invalid symbol, `-1102` bad parameter). */
export class Rejected extends Data.TaggedError("BinanceRejected")<Facts> {
  /** Binance's own transient codes (`-1000` unknown, `-1001` disconnected, `-1007` timeout, `-1008` throttled) are retryable. */
  get retryable(): boolean {
    return this.code === -1000 || this.code === -1001 || this.code === -1007 || this.code === -1008
  }
  override get message(): string {
    return `Binance rejected ${this.path} with ${this.status} (${this.code ?? "no code"}: ${this.msg ?? "no message"})`
  }
}

/** No usable answer: network failure, timeout, or a 5xx (whose outcome Binance calls unknown). */
export class Unavailable extends Data.TaggedError("BinanceUnavailable")<Facts & { readonly reason: string }> {
  /** Always worth another try later. */
  readonly retryable = true
  override get message(): string {
    return `Binance unavailable on ${this.path}: ${this.reason}`
  }
}

/** A 2xx answer whose body does not have the documented shape. */
export class UnexpectedResponse extends Data.TaggedError("BinanceUnexpectedResponse")<Facts & { readonly reason: string }> {
  /** The next answer may be fine. */
  readonly retryable = true
  override get message(): string {
    return `unexpected response from Binance on ${this.path}: ${this.reason}`
  }
}

/** Every error of the Binance REST client. */
export type BinanceError =
  | InvalidApiKey
  | InvalidSignature
  | TimestampOutsideRecvWindow
  | RateLimited
  | IpBanned
  | Rejected
  | Unavailable
  | UnexpectedResponse

/**
 * Maps a non-2xx answer with Binance's `{code,msg}` body to its typed error (429 and 418 are
 * handled by the client, which knows `Retry-After`).
 */
export const fromResponse = (facts: Facts): BinanceError => {
  switch (facts.code) {
    case -2014:
    case -2015:
      return new InvalidApiKey(facts)
    case -1022:
      return new InvalidSignature(facts)
    case -1021:
      return new TimestampOutsideRecvWindow(facts)
  }
  if (facts.status >= 500) return new Unavailable({ ...facts, reason: `HTTP ${facts.status}${facts.msg ? `: ${facts.msg}` : ""}` })
  return new Rejected(facts)
}
