/**
 * The API key check: the right key passes, anything else fails, and the key is compared by
 * digest so that an empty or a longer value is handled the same way.
 */
import { describe, expect, it } from "@effect/vitest"
import { Redacted } from "effect"
import * as ApiKey from "../src/ApiKey.js"

describe("ApiKey", () => {
  const matches = ApiKey.matcher(Redacted.make("s3cret-key"))

  it("accepts the configured key only", () => {
    expect(matches(Redacted.make("s3cret-key"))).toBe(true)
    for (const sent of ["", "s3cret-ke", "s3cret-key ", "S3CRET-KEY", "s3cret-key-and-more", "x".repeat(10_000)]) {
      expect(matches(Redacted.make(sent)), JSON.stringify(sent.slice(0, 20))).toBe(false)
    }
  })

  it("never accepts an empty key, even when configured empty", () => {
    expect(ApiKey.matcher(Redacted.make(""))(Redacted.make(""))).toBe(false)
  })

  it("does not show the key when printed", () => {
    expect(String(Redacted.make("s3cret-key"))).not.toContain("s3cret")
  })
})
