/**
 * One WebSocket connection to Binance's combined market stream, as Effect values: open it,
 * send control messages, learn when it closed. Incoming frames go to a queue as they arrive
 * (the feed parses them in batches); ws answers the server's pings by itself.
 */
import { Deferred, Effect, Exit, type Queue } from "effect"
import WebSocket from "ws"

/** Something a socket received. */
export type Inbound =
  | { readonly _tag: "Frame"; readonly session: Session; readonly text: string }
  | { readonly _tag: "Ping"; readonly session: Session }

/** An open connection. */
export interface Session {
  readonly id: number
  readonly url: string
  readonly openedAt: number
  /** The symbols whose streams the connection URL carried. */
  readonly urlSymbols: ReadonlySet<string>
  /** Completes with a reason when the socket closes. */
  readonly closed: Deferred.Deferred<string>
  /** Epoch ms of the last frame or ping (set by the reader). */
  lastActivityAt: number
  /** Epoch ms before which the next control message must not leave (≤ 10 per second allowed). */
  nextControlAt: number
  /** Epoch ms after which the connection is replaced before Binance cuts it. */
  replaceAt: number
  readonly send: (text: string) => Effect.Effect<void, Error>
  /** Closes the socket at once; idempotent. */
  readonly terminate: Effect.Effect<void>
}

/** What {@link open} needs. */
export interface OpenOptions {
  readonly id: number
  readonly url: string
  readonly urlSymbols: ReadonlySet<string>
  readonly now: number
  readonly replaceAt: number
  readonly connectTimeoutMs: number
  readonly inbox: Queue.Enqueue<Inbound>
}

/** Opens a connection; fails with the reason when it cannot. Interrupting it closes the socket. */
export const open = (options: OpenOptions): Effect.Effect<Session, Error> =>
  Effect.flatMap(Deferred.make<string>(), (closed) =>
    Effect.async<Session, Error>((resume) => {
      const socket = new WebSocket(options.url, { handshakeTimeout: options.connectTimeoutMs, perMessageDeflate: false })
      let settled = false
      const settle = (effect: Effect.Effect<Session, Error>) => {
        if (settled) return
        settled = true
        resume(effect)
      }
      const session: Session = {
        id: options.id,
        url: options.url,
        openedAt: options.now,
        urlSymbols: options.urlSymbols,
        closed,
        lastActivityAt: options.now,
        nextControlAt: 0,
        replaceAt: options.replaceAt,
        send: (text) =>
          Effect.async<void, Error>((done) => {
            if (socket.readyState !== WebSocket.OPEN) return done(Effect.fail(new Error("socket is not open")))
            socket.send(text, (error) => done(error ? Effect.fail(error) : Effect.void))
          }),
        terminate: Effect.sync(() => socket.terminate())
      }
      let lastError = "closed"
      socket.on("open", () => settle(Effect.succeed(session)))
      socket.on("message", (data, isBinary) => {
        if (isBinary) return
        options.inbox.unsafeOffer({ _tag: "Frame", session, text: Array.isArray(data) ? Buffer.concat(data).toString() : data.toString() })
      })
      socket.on("ping", () => options.inbox.unsafeOffer({ _tag: "Ping", session }))
      socket.on("error", (error) => {
        lastError = error.message
        settle(Effect.fail(error))
      })
      socket.on("close", (code, reason) => {
        const why = `closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ""}; ${lastError})`
        settle(Effect.fail(new Error(why)))
        Deferred.unsafeDone(closed, Exit.succeed(why))
      })
      return Effect.sync(() => socket.terminate())
    }))

/** A frame of the combined stream, parsed. */
export type Frame =
  | { readonly _tag: "MarkPrice"; readonly symbol: string; readonly price: number; readonly at: number }
  | { readonly _tag: "Ack"; readonly id: number }
  | { readonly _tag: "Error"; readonly id: number | null; readonly code: number; readonly msg: string }

/**
 * Parses one frame: a `markPriceUpdate` event of the combined stream
 * (`{"stream":…,"data":{"e":"markPriceUpdate","E":…,"s":…,"p":"…",…}}`), the answer to a
 * control message (`{"result":null,"id":1}`) or its error (`{"code":2,"msg":"…","id":1}`).
 * Anything else (other events, malformed JSON, a price that is not finite and positive)
 * answers `undefined`.
 */
export const parseFrame = (text: string): Frame | undefined => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof json !== "object" || json === null) return undefined
  const frame = json as Record<string, unknown>
  const data = frame["data"] as Record<string, unknown> | undefined
  if (typeof frame["stream"] === "string" && typeof data === "object" && data !== null) {
    if (data["e"] !== "markPriceUpdate" || typeof data["s"] !== "string" || typeof data["E"] !== "number") return undefined
    const price = Number(data["p"])
    return Number.isFinite(price) && price > 0 ? { _tag: "MarkPrice", symbol: data["s"], price, at: data["E"] } : undefined
  }
  const id = typeof frame["id"] === "number" ? frame["id"] : null
  if (typeof frame["code"] === "number") {
    return { _tag: "Error", id, code: frame["code"], msg: typeof frame["msg"] === "string" ? frame["msg"] : "" }
  }
  if ("result" in frame && id !== null) return { _tag: "Ack", id }
  return undefined
}
