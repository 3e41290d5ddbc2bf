/**
 * The process's settings and what it prints when it cannot start: the variables at fault, or
 * the error's message — never a stack trace for an expected failure.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, ConfigError, ConfigProvider, Data, Effect, Either } from "effect"
import { StoreError } from "@portfolio/core"
import * as Program from "../src/Program.js"

const settings = (env: Record<string, string>) =>
  Program.settings.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

class Refused extends Data.TaggedError("Refused")<{ readonly cause: Error }> {}

describe("Program", () => {
  it.effect("reads every setting before anything starts", () =>
    Effect.gen(function* () {
      const s = Either.getOrThrow(yield* settings({ PORTFOLIO_TRADE_STORE_TYPE: "memory", PORTFOLIO_TIMEZONE: "Europe/Oslo", PORTFOLIO_HTTP_PORT: "9000" }))
      expect(s.http.port).toBe(9000)
      expect(s.portfolio.portfolio.timeZone).toBe("Europe/Oslo")
      expect(s.adapters.store.kind).toBe("memory")
      expect(s.log.format).toBe("logfmt")
    }))

  it.effect("reads an empty variable as unset, for every package's variables", () =>
    Effect.gen(function* () {
      const env = { PORTFOLIO_HTTP_PORT: "", PORTFOLIO_TIMEZONE: " ", PORTFOLIO_TRADE_STORE_TYPE: "memory" }
      const provider = Program.emptyAsUnset(ConfigProvider.fromMap(new Map(Object.entries(env))))
      const s = Either.getOrThrow(yield* Program.settings.pipe(Effect.withConfigProvider(provider), Effect.either))
      expect(s.http.port).toBe(8004)
      expect(s.portfolio.portfolio.timeZone).toBe("UTC")
      // Without it, an empty port would be refused (or, read leniently, be port 0).
      expect(Either.isLeft(yield* settings(env))).toBe(true)
    }))

  it.effect("describes a bad configuration by its variables", () =>
    Effect.gen(function* () {
      const result = yield* settings({ PORTFOLIO_TIMEZONE: "Mars/Base" })
      expect(Either.isLeft(result)).toBe(true)
      const text = Program.describeFailure(Cause.fail(Either.isLeft(result) ? result.left : undefined))
      expect(text).toBe("portfolio-intelligence: bad configuration: PORTFOLIO_TIMEZONE must be an IANA time zone such as UTC or Europe/Oslo")
      const both = ConfigError.And(ConfigError.InvalidData(["PORTFOLIO_HTTP_PORT"], "must be a port"), ConfigError.MissingData(["PORTFOLIO_X"], "is missing"))
      expect(Program.describeFailure(Cause.fail(both))).toBe("portfolio-intelligence: bad configuration: PORTFOLIO_HTTP_PORT: must be a port; PORTFOLIO_X: is missing")
    }))

  it("describes other failures by their message, and a port in use as such", () => {
    const store = new StoreError({ operation: "openTrades", reason: "disk I/O error", retryable: false })
    expect(Program.describeFailure(Cause.fail(store))).toBe("portfolio-intelligence: cannot start: store openTrades failed: disk I/O error")
    expect(Program.describeFailure(Cause.fail(new Refused({ cause: new Error("x") })))).toBe("portfolio-intelligence: cannot start: Refused")
    const serveError = { _tag: "ServeError", cause: new Error("listen EADDRINUSE: address already in use 0.0.0.0:8004") }
    expect(Program.describeFailure(Cause.fail(serveError))).toBe(
      "portfolio-intelligence: cannot start: cannot listen: listen EADDRINUSE: address already in use 0.0.0.0:8004"
    )
    expect(Program.describeFailure(Cause.die(new Error("bug")))).toContain("stopped on a defect")
  })
})
