/**
 * Binance's HMAC-SHA256 request signature: the lower-case hex HMAC of the exact query string
 * (`totalParams`), keyed with the API secret, appended last as `signature=`.
 */
import { createHmac, timingSafeEqual } from "node:crypto"

/** The hex HMAC-SHA256 of `payload` keyed with `secret`. */
export const sign = (payload: string, secret: string): string => createHmac("sha256", secret).update(payload).digest("hex")

/** Parameter values as Binance reads them. */
export type Params = ReadonlyArray<readonly [string, string | number | boolean]>

/**
 * The query string of `params` in the given order, values URI-encoded as a form would encode
 * them (symbols and numbers pass unchanged).
 */
export const queryString = (params: Params): string =>
  params.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`).join("&")

/** `query&signature=<hex>`: what a signed request sends. */
export const signedQuery = (params: Params, secret: string): string => {
  const query = queryString(params)
  return `${query}${query.length > 0 ? "&" : ""}signature=${sign(query, secret)}`
}

/** Whether `signature` (hex, any case, as Binance accepts) is the signature of `payload`. */
export const verify = (payload: string, signature: string, secret: string): boolean => {
  const expected = Buffer.from(sign(payload, secret), "utf8")
  const given = Buffer.from(signature.toLowerCase(), "utf8")
  return expected.length === given.length && timingSafeEqual(expected, given)
}
