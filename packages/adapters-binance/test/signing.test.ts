import { describe, expect, it } from "@effect/vitest"
import { queryString, sign, signedQuery, verify } from "../src/internal/signing.js"

// Binance USDⓈ-M futures docs, "SIGNED Endpoint Examples for POST /fapi/v1/order", example 1.
const DOC_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
const DOC_QUERY = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
const DOC_SIGNATURE = "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"

describe("signing", () => {
  it("reproduces the documented HMAC-SHA256 example byte for byte", () => {
    expect(sign(DOC_QUERY, DOC_SECRET)).toBe(DOC_SIGNATURE)
  })

  it("builds the documented query in parameter order and appends the signature last", () => {
    const params = [
      ["symbol", "BTCUSDT"],
      ["side", "BUY"],
      ["type", "LIMIT"],
      ["quantity", 1],
      ["price", 9000],
      ["timeInForce", "GTC"],
      ["recvWindow", 5000],
      ["timestamp", 1591702613943]
    ] as const
    expect(queryString(params)).toBe(DOC_QUERY)
    expect(signedQuery(params, DOC_SECRET)).toBe(`${DOC_QUERY}&signature=${DOC_SIGNATURE}`)
  })

  it("encodes values as a form would, and signs an empty query", () => {
    expect(queryString([["note", "a b&c"]])).toBe("note=a%20b%26c")
    expect(signedQuery([], DOC_SECRET)).toBe(`signature=${sign("", DOC_SECRET)}`)
  })

  it("verifies a signature in any case, and rejects a wrong one", () => {
    expect(verify(DOC_QUERY, DOC_SIGNATURE, DOC_SECRET)).toBe(true)
    expect(verify(DOC_QUERY, DOC_SIGNATURE.toUpperCase(), DOC_SECRET)).toBe(true)
    expect(verify(DOC_QUERY, DOC_SIGNATURE.replace("3c", "4c"), DOC_SECRET)).toBe(false)
    expect(verify(`${DOC_QUERY}0`, DOC_SIGNATURE, DOC_SECRET)).toBe(false)
    expect(verify(DOC_QUERY, "short", DOC_SECRET)).toBe(false)
  })
})
