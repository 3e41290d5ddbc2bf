/**
 * Reading a JSON request body safely: the media type must be JSON (415 otherwise), the body
 * may not exceed a limit in bytes (413, checked against `Content-Length` before reading and
 * while reading, so a chunked body cannot slip past it), and it must be UTF-8 JSON (400).
 *
 * The limit is the platform's: `HttpIncomingMessage.MaxBodySize`, which the server sets from
 * `PORTFOLIO_HTTP_MAX_BODY_BYTES` with `HttpIncomingMessage.withMaxBodySize`, so that every
 * reader of a body obeys the same one. The bytes are read here rather than by the platform's
 * `request.arrayBuffer`/`request.json`: in @effect/platform-node 0.108 those destroy the request
 * stream, hence the socket, when the limit is crossed, so the client would see a reset
 * connection instead of the 413; and `request.json` decodes UTF-8 without complaint about
 * invalid bytes. This reader stops keeping bytes past the limit and drains the rest, so the
 * 413 is read by the client on a connection that stays usable.
 *
 * @since 0.1.0
 */
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { jsonDeeperThan, MAX_PAYLOAD_DEPTH } from "@portfolio/core"
import { Effect, Either, Option } from "effect"
import type { IncomingMessage } from "node:http"
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from "./ApiError.js"

/**
 * The default limit of a request body: 4 MiB — an array of 10 000 envelopes of up to ~400 bytes
 * (a tick is ~100, a trade ~250), or 1 000 of up to ~4 KB.
 */
export const DEFAULT_MAX_BYTES = 4 * 1024 * 1024

/**
 * How deep a body may nest arrays and objects: an array (1) of envelopes (2) whose payload may
 * nest {@link MAX_PAYLOAD_DEPTH} levels. A deeper body is refused (400) before it is parsed, so
 * that nothing downstream (schemas, formatters, the rejection log) recurses through it.
 */
export const MAX_DEPTH = MAX_PAYLOAD_DEPTH + 2

/** Whether a JSON text nests deeper than `max` (core's one check, also used on payloads). */
export const deeperThan = jsonDeeperThan

/** True when a `Content-Type` names JSON (`application/json` or `application/*+json`, any parameters). */
export const isJsonMediaType = (contentType: string | undefined): boolean => {
  if (contentType === undefined) return false
  const media = contentType.split(";")[0]!.trim().toLowerCase()
  return media === "application/json" || (media.startsWith("application/") && media.endsWith("+json"))
}

const tooLarge = (limit: number, received?: number) =>
  new PayloadTooLarge({
    message: `the body exceeds the limit of ${limit} bytes (PORTFOLIO_HTTP_MAX_BODY_BYTES)`,
    details: received === undefined ? { limit_bytes: limit } : { limit_bytes: limit, content_length: received }
  })

/** The 415 of a body whose `Content-Type` is not JSON; `undefined` when it is. */
export const mediaTypeError = (contentType: string | undefined): UnsupportedMediaType | undefined =>
  isJsonMediaType(contentType)
    ? undefined
    : new UnsupportedMediaType({
      message: `the body must be sent as Content-Type: application/json${contentType === undefined ? " (no Content-Type was given)" : ""}`,
      details: { expected: "application/json", received: contentType === undefined ? null : contentType.slice(0, 100) }
    })

/** The 413 of a body whose `Content-Length` already exceeds `limit`; `undefined` otherwise. */
export const declaredTooLarge = (contentLength: string | undefined, limit: number): PayloadTooLarge | undefined => {
  const declared = Number(contentLength)
  return Number.isFinite(declared) && declared > limit ? tooLarge(limit, declared) : undefined
}

/**
 * Reads the raw bytes of `source` and calls `done` once with them, or with the error: 413 as
 * soon as they exceed `limit` (the rest is drained, so the answer reaches the client on a
 * connection that stays usable), 400 when the stream fails. Returns what detaches the reader.
 */
export const readIncoming = (
  source: IncomingMessage,
  limit: number,
  done: (result: Either.Either<Buffer, BadRequest | PayloadTooLarge>) => void
): (() => void) => {
  const chunks: Array<Buffer> = []
  let size = 0
  const cleanup = () => {
    source.off("data", onData)
    source.off("end", onEnd)
    source.off("error", onError)
  }
  const onData = (chunk: Buffer) => {
    size += chunk.length
    if (size > limit) {
      cleanup()
      source.resume()
      done(Either.left(tooLarge(limit)))
      return
    }
    chunks.push(chunk)
  }
  const onEnd = () => {
    cleanup()
    done(Either.right(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)))
  }
  const onError = (error: Error) => {
    cleanup()
    done(Either.left(new BadRequest({ message: `the body could not be read: ${error.message}` })))
  }
  source.on("data", onData)
  source.once("end", onEnd)
  source.once("error", onError)
  return cleanup
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

/** The JSON value of a body's bytes, or the 400 saying why there is none (not UTF-8, empty, nested too deep, not JSON). */
export const parse = (bytes: Uint8Array): Either.Either<unknown, BadRequest> => {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    return Either.left(new BadRequest({ message: "the body is not valid UTF-8" }))
  }
  if (text.trim() === "") return Either.left(new BadRequest({ message: "the body is empty: expected a JSON object or array" }))
  if (deeperThan(text, MAX_DEPTH)) {
    return Either.left(
      new BadRequest({ message: `the body nests arrays and objects deeper than ${MAX_DEPTH} levels`, details: { max_depth: MAX_DEPTH } })
    )
  }
  try {
    return Either.right(JSON.parse(text) as unknown)
  } catch (error) {
    return Either.left(new BadRequest({ message: `the body is not valid JSON: ${(error as Error).message}` }))
  }
}

/**
 * The JSON body of `request`: 415 unless its media type is JSON, 413 past the platform's
 * `MaxBodySize`, 400 when it is not UTF-8 JSON (see {@link parse}).
 */
export const json = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<unknown, BadRequest | PayloadTooLarge | UnsupportedMediaType> =>
  Effect.gen(function* () {
    const wrongType = mediaTypeError(request.headers["content-type"])
    if (wrongType !== undefined) return yield* Effect.fail(wrongType)
    const maxBytes = Option.match(yield* HttpIncomingMessage.MaxBodySize, { onNone: () => Infinity, onSome: Number })
    const source = NodeHttpServerRequest.toIncomingMessage(request)
    const declared = declaredTooLarge(request.headers["content-length"], maxBytes)
    if (declared !== undefined) {
      source.resume()
      return yield* Effect.fail(declared)
    }
    const bytes = yield* Effect.async<Buffer, BadRequest | PayloadTooLarge>((resume) => {
      const detach = readIncoming(source, maxBytes, (result) => resume(result))
      return Effect.sync(detach)
    })
    return yield* parse(bytes)
  })
