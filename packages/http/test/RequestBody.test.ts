/**
 * Which `Content-Type` counts as JSON for a request body.
 */
import { describe, expect, it } from "@effect/vitest"
import * as RequestBody from "../src/RequestBody.js"

describe("RequestBody", () => {
  it("takes application/json with any parameters, and application/*+json", () => {
    for (const t of ["application/json", "Application/JSON; charset=utf-8", " application/json ;charset=UTF-8", "application/vnd.api+json"]) {
      expect(RequestBody.isJsonMediaType(t), t).toBe(true)
    }
  })

  it("refuses anything else", () => {
    for (const t of [undefined, "", "text/plain", "text/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonp"]) {
      expect(RequestBody.isJsonMediaType(t), String(t)).toBe(false)
    }
  })

  it("limits bodies to 4 MiB by default", () => {
    expect(RequestBody.DEFAULT_MAX_BYTES).toBe(4 * 1_048_576)
  })

  it("measures nesting without recursion, brackets in strings left out", () => {
    expect(RequestBody.deeperThan("[".repeat(100_000) + "]".repeat(100_000), RequestBody.MAX_DEPTH)).toBe(true)
    expect(RequestBody.deeperThan("[".repeat(34) + "]".repeat(34), 34)).toBe(false)
    expect(RequestBody.deeperThan("[".repeat(35) + "]".repeat(35), 34)).toBe(true)
    expect(RequestBody.deeperThan(JSON.stringify({ s: "[".repeat(100), t: "\\\"[[" }), 2)).toBe(false)
    expect(RequestBody.deeperThan("[]".repeat(1000), 1)).toBe(false)
  })
})
