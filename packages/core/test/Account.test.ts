import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Either, TestClock } from "effect"
import { Account, PortfolioConfig } from "../src/index.js"
import { makePorts, start, T0 } from "./support/Service.js"

const read = <A>(config: Effect.Effect<A, unknown>, env: Record<string, string>) =>
  config.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

describe("Account", () => {
  it("the default account goes by the service name (the Python layout); another by <service>@<account>", () => {
    expect(Account.busName("portfolio_intelligence")).toBe("portfolio_intelligence")
    expect(Account.busName("portfolio_intelligence", "default")).toBe("portfolio_intelligence")
    expect(Account.busName("portfolio_intelligence", "binance-main")).toBe("portfolio_intelligence@binance-main")
    expect(Account.busName("svc", "Sub.Account_2")).toBe("svc@Sub.Account_2")
  })

  it("accepts 1 to 64 letters, digits, _ . - starting with a letter or digit", () => {
    for (const ok of ["default", "a", "7", "binance-main", "Sub.Account_2", "x".repeat(64)]) expect(Account.isValidAccountId(ok)).toBe(true)
    for (const bad of ["", " ", "has space", "a@b", "a:b", "-lead", ".lead", "_lead", "x".repeat(65), "é", "a\nb"]) {
      expect(Account.isValidAccountId(bad)).toBe(false)
    }
  })

  it.effect("PORTFOLIO_ACCOUNT_ID: default `default`, trimmed, a bad value named", () =>
    Effect.gen(function* () {
      expect(yield* read(Account.accountIdConfig, {})).toEqual(Either.right("default"))
      expect(yield* read(Account.accountIdConfig, { PORTFOLIO_ACCOUNT_ID: " acct-7 " })).toEqual(Either.right("acct-7"))
      for (const bad of ["a@b", "has space", "   ", "a:b"]) {
        const result = yield* read(Account.accountIdConfig, { PORTFOLIO_ACCOUNT_ID: bad })
        expect(Either.isLeft(result)).toBe(true)
        expect(String(Either.isLeft(result) && result.left)).toContain("PORTFOLIO_ACCOUNT_ID")
      }
    }))

  it.effect("the service's configuration reads the account, and a bad one fails naming the variable", () =>
    Effect.gen(function* () {
      expect(Either.map(yield* read(PortfolioConfig.config, {}), (c) => c.accountId)).toEqual(Either.right("default"))
      expect(Either.map(yield* read(PortfolioConfig.config, { PORTFOLIO_ACCOUNT_ID: "acct-2" }), (c) => c.accountId)).toEqual(Either.right("acct-2"))
      const bad = yield* read(PortfolioConfig.config, { PORTFOLIO_ACCOUNT_ID: "not valid" })
      expect(String(Either.isLeft(bad) && bad.left)).toContain("PORTFOLIO_ACCOUNT_ID")
    }))

  it.effect("what an instance of another account publishes carries source <service>@<account>", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { stop } = yield* start(ports, { snapshotInterval: Duration.hours(1), accountId: "acct-9" })
      yield* stop
      const snapshots = yield* ports.inspector.published("portfolio.snapshot_updated")
      expect(snapshots.length).toBeGreaterThan(0)
      for (const entry of snapshots) expect(entry.fields["source"]).toBe("portfolio_intelligence@acct-9")
      const exposures = yield* ports.inspector.published("portfolio.exposure_updated")
      for (const entry of exposures) expect(entry.fields["source"]).toBe("portfolio_intelligence@acct-9")
    }))
})
