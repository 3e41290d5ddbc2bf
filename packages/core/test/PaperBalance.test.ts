import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { AccountBalance } from "../src/ports/AccountBalance.js"
import * as PaperBalance from "../src/memory/PaperBalance.js"

const withEnv = (env: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

describe("PaperBalance", () => {
  it.effect("answers paper cash of the initial amount, no positions, health ok", () =>
    Effect.gen(function*() {
      const balance = yield* AccountBalance
      expect(yield* balance.balance).toEqual({ source: "paper", initialCash: 25_000 })
      expect(yield* balance.positions).toEqual([])
      const health = yield* balance.health
      expect(health.status).toBe("ok")
      expect(health.required).toBe(false)
      expect(health.details).toMatchObject({ initial_cash: 25_000 })
    }).pipe(Effect.provide(PaperBalance.layer(25_000))))

  it.effect("defaults to 10 000", () =>
    Effect.gen(function*() {
      const balance = yield* AccountBalance
      expect(yield* balance.balance).toEqual({ source: "paper", initialCash: 10_000 })
    }).pipe(Effect.provide(PaperBalance.layer())))

  it.effect("reads PORTFOLIO_INITIAL_CASH", () =>
    Effect.gen(function*() {
      const balance = yield* AccountBalance
      expect(yield* balance.balance).toEqual({ source: "paper", initialCash: 1234.5 })
    }).pipe(Effect.provide(PaperBalance.layerConfig.pipe(Layer.provide(withEnv({ PORTFOLIO_INITIAL_CASH: "1234.5" }))))))

  it.effect("layerConfig defaults to 10 000 when the variable is unset", () =>
    Effect.gen(function*() {
      const balance = yield* AccountBalance
      expect(yield* balance.balance).toEqual({ source: "paper", initialCash: 10_000 })
    }).pipe(Effect.provide(PaperBalance.layerConfig.pipe(Layer.provide(withEnv({}))))))

  it.effect("rejects a bad PORTFOLIO_INITIAL_CASH with an error naming the variable", () =>
    Effect.gen(function*() {
      for (const bad of ["abc", "-5", "Infinity"]) {
        const error = yield* Effect.flip(
          Effect.provide(AccountBalance, PaperBalance.layerConfig.pipe(Layer.provide(withEnv({ PORTFOLIO_INITIAL_CASH: bad }))))
        )
        expect(String(error)).toContain("PORTFOLIO_INITIAL_CASH")
      }
    }))

  it("make refuses a non-finite or negative initial cash, naming the value", () => {
    for (const bad of [Number.NaN, -1, -0.01, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => PaperBalance.make(bad)).toThrow(RangeError)
      expect(() => PaperBalance.make(bad)).toThrow(`got ${bad}`)
    }
  })

  it.effect("make accepts zero: a paper balance of 0, no positions, health ok", () =>
    Effect.gen(function*() {
      const balance = PaperBalance.make(0)
      expect(yield* balance.balance).toEqual({ source: "paper", initialCash: 0 })
      expect(yield* balance.positions).toEqual([])
      expect(yield* balance.health).toEqual({
        status: "ok",
        required: false,
        message: "paper cash",
        details: { source: "paper", initial_cash: 0 }
      })
    }))
})
