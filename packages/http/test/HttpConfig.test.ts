/**
 * The HTTP settings read from the environment: defaults, each variable, and a bad value
 * failing with its variable's name.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, Option, Redacted } from "effect"
import * as HttpConfig from "../src/HttpConfig.js"

const read = (env: Record<string, string>) =>
  HttpConfig.config.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

describe("HttpConfig", () => {
  it.effect("has the documented defaults", () =>
    Effect.gen(function* () {
      const settings = Either.getOrThrow(yield* read({}))
      expect(settings).toMatchObject({ port: 8004, host: "0.0.0.0", corsOrigins: [], maxBodyBytes: 4 * 1024 * 1024, logRequests: true })
      expect(Option.isNone(settings.apiKey)).toBe(true)
      expect(Duration.toMillis(settings.shutdownGrace)).toBe(8000)
    }))

  it.effect("reads every variable", () =>
    Effect.gen(function* () {
      const settings = Either.getOrThrow(
        yield* read({
          PORTFOLIO_HTTP_PORT: "0",
          PORTFOLIO_HTTP_HOST: "127.0.0.1",
          PORTFOLIO_API_KEY: "k3y",
          PORTFOLIO_CORS_ORIGINS: "https://a.example, http://localhost:3000/",
          PORTFOLIO_HTTP_MAX_BODY_BYTES: "2048",
          PORTFOLIO_HTTP_LOG_REQUESTS: "false",
          PORTFOLIO_HTTP_SHUTDOWN_GRACE: "2 seconds"
        })
      )
      expect(settings).toMatchObject({ port: 0, host: "127.0.0.1", corsOrigins: ["https://a.example", "http://localhost:3000"], maxBodyBytes: 2048, logRequests: false })
      expect(Option.map(settings.apiKey, Redacted.value)).toEqual(Option.some("k3y"))
      expect(Duration.toMillis(settings.shutdownGrace)).toBe(2000)
    }))

  it.effect("treats an empty API key as no key", () =>
    Effect.gen(function* () {
      expect(Option.isNone(Either.getOrThrow(yield* read({ PORTFOLIO_API_KEY: "  " })).apiKey)).toBe(true)
    }))

  it.effect("fails naming the variable of a bad value, without echoing the API key", () =>
    Effect.gen(function* () {
      for (const [name, value] of [
        ["PORTFOLIO_HTTP_PORT", "70000"],
        ["PORTFOLIO_HTTP_PORT", "eighty"],
        ["PORTFOLIO_HTTP_MAX_BODY_BYTES", "0"],
        ["PORTFOLIO_CORS_ORIGINS", "https://a.example/path"],
        ["PORTFOLIO_CORS_ORIGINS", "not a url"]
      ] as const) {
        const result = yield* read({ [name]: value, PORTFOLIO_API_KEY: "very-secret" })
        expect(Either.isLeft(result), `${name}=${value}`).toBe(true)
        const text = String(Either.isLeft(result) ? result.left : "")
        expect(text).toContain(name)
        expect(text).not.toContain("very-secret")
      }
    }))

  it("accepts * and origins, and nothing else, as CORS origins", () => {
    expect(HttpConfig.parseOrigins("*")).toEqual(Either.right(["*"]))
    expect(HttpConfig.parseOrigins(" https://X.example:8443 ,")).toEqual(Either.right(["https://x.example:8443"]))
    expect(Either.isLeft(HttpConfig.parseOrigins("https://x.example/app"))).toBe(true)
    expect(Either.isLeft(HttpConfig.parseOrigins("x.example"))).toBe(true)
  })
})
