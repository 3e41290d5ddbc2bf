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
})
