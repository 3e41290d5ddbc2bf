/**
 * Which schemas let an answer skip the encoding pass: those without a transformation anywhere.
 */
import { describe, expect, it } from "@effect/vitest"
import { DrawdownMetrics, ExposureBreakdown, NetPosition, PnLBreakdown, PortfolioSnapshot, TradeOpened } from "@portfolio/core"
import { Schema } from "effect"
import { isPlain } from "../src/internal/plainJson.js"

describe("plainJson", () => {
  it("finds the answers of the portfolio endpoints plain", () => {
    for (const schema of [PortfolioSnapshot, PnLBreakdown, ExposureBreakdown, DrawdownMetrics, Schema.Array(NetPosition)]) {
      expect(isPlain(schema.ast)).toBe(true)
    }
  })

  it("finds any transformation, however deep", () => {
    expect(isPlain(Schema.NumberFromString.ast)).toBe(false)
    expect(isPlain(Schema.Struct({ a: Schema.Array(Schema.Struct({ at: Schema.DateFromString })) }).ast)).toBe(false)
    expect(isPlain(Schema.Union(Schema.String, Schema.NumberFromString).ast)).toBe(false)
    expect(isPlain(TradeOpened.ast)).toBe(false)
    expect(isPlain(Schema.Struct({ n: Schema.Int.pipe(Schema.positive()) }).ast)).toBe(true)
  })
})
