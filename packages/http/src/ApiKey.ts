/**
 * The optional API key (`PORTFOLIO_API_KEY`). When it is set, every endpoint of the API but
 * `/health` requires it, sent as `X-API-Key: <key>` or `Authorization: Bearer <key>`; the key
 * sent is compared with the configured one in constant time (SHA-256 digests compared with
 * `timingSafeEqual`), and neither is ever logged or echoed. When it is not set, every request
 * passes.
 *
 * @since 0.1.0
 */
import * as HttpApiMiddleware from "@effect/platform/HttpApiMiddleware"
import * as HttpApiSecurity from "@effect/platform/HttpApiSecurity"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as OpenApi from "@effect/platform/OpenApi"
import { Effect, Layer, Option, Redacted } from "effect"
import { createHash, timingSafeEqual } from "node:crypto"
import { Unauthorized, UnauthorizedWire } from "./ApiError.js"

/** The header that carries the key. */
export const HEADER = "X-API-Key"

/**
 * The two ways every protected route takes the key, as the OpenAPI document describes them:
 * a bearer token (tried first: reading it needs no decoding, so a request without a key — the
 * usual case when none is configured — costs nothing), then the `X-API-Key` header.
 */
export const security = {
  bearer: HttpApiSecurity.bearer.pipe(
    HttpApiSecurity.annotate(OpenApi.Description, "The value of PORTFOLIO_API_KEY as a bearer token (required only when it is set).")
  ),
  apiKey: HttpApiSecurity.apiKey({ key: HEADER, in: "header" }).pipe(
    HttpApiSecurity.annotate(OpenApi.Description, "The value of PORTFOLIO_API_KEY (required only when it is set).")
  )
}

/**
 * The security middleware the protected groups of the API declare: the key in `X-API-Key`,
 * or as a bearer token ({@link security}).
 */
export class ApiKeyAuth extends HttpApiMiddleware.Tag<ApiKeyAuth>()("@portfolio/http/ApiKeyAuth", {
  failure: UnauthorizedWire,
  security
}) {}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest()

/**
 * A check of a key sent against `expected`, in constant time.
 *
 * @example
 * const matches = ApiKey.matcher(Redacted.make("s3cret"))
 * matches(Redacted.make("s3cret")) // true
 */
export const matcher = (expected: Redacted.Redacted<string>): ((sent: Redacted.Redacted<string>) => boolean) => {
  const want = digest(Redacted.value(expected))
  return (sent) => {
    const value = Redacted.value(sent)
    // Compare the digests even for an empty key, so the time taken says nothing about the key.
    const same = timingSafeEqual(digest(value), want)
    return same && value !== ""
  }
}

/**
 * The token of an `Authorization` header in the Bearer scheme (its name is case-insensitive);
 * `undefined` for another scheme, no header or no token.
 */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  authorization !== undefined && authorization.length > 7 && authorization.slice(0, 7).toLowerCase() === "bearer "
    ? authorization.slice(7)
    : undefined

const failure = Effect.gen(function* () {
  const request = yield* HttpServerRequest.HttpServerRequest
  const sent = request.headers["x-api-key"] !== undefined || request.headers["authorization"] !== undefined
  return yield* Effect.fail(
    new Unauthorized({
      message: sent
        ? "wrong API key"
        : `missing API key: send it in the ${HEADER} header or as Authorization: Bearer <key>`
    })
  )
})

/**
 * The middleware for a configured key (`Option.none()`: no key, every request passes).
 * The bearer token is tried first, then the header `X-API-Key`.
 */
export const layer = (key: Option.Option<Redacted.Redacted<string>>): Layer.Layer<ApiKeyAuth> =>
  Layer.sync(ApiKeyAuth, () => {
    if (Option.isNone(key)) return { bearer: () => Effect.void, apiKey: () => Effect.void }
    const matches = matcher(key.value)
    const apiKey = (sent: Redacted.Redacted<string>) => (matches(sent) ? Effect.void : failure)
    // The platform hands over `Authorization` minus its first 7 characters whatever the scheme
    // ("Digest <key>" too): the scheme is checked here.
    const bearer = (sent: Redacted.Redacted<string>) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        bearerToken(request.headers["authorization"]) !== undefined && matches(sent) ? Effect.void : failure
      )
    return { bearer, apiKey }
  })
