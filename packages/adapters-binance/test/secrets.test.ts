import { describe, expect, it } from "@effect/vitest"
import { AccountBalance } from "@portfolio/core"
import { inspect } from "node:util"
import { Cause, Effect, Redacted } from "effect"
import * as BinanceAccountBalance from "../src/BinanceAccountBalance.js"
import { FakeBinance } from "../src/testing/index.js"
import { captureLogs, eventually } from "./support/conditions.js"

/** Every way an error or a health answer may end up in a log, a response or a report. */
const renderings = (value: unknown): Array<string> => [
  String(value),
  inspect(value, { depth: 10, showHidden: true }),
  JSON.stringify(value) ?? "",
  value instanceof Error ? `${value.message}\n${value.stack ?? ""}` : "",
  Cause.pretty(Cause.fail(value))
]

describe("secrets", () => {
  it.scopedLive("the API key and secret never appear in a log line, an error or a health answer", () =>
    Effect.gen(function*() {
      const fake = yield* FakeBinance.scoped()
      fake.setBalances([{ asset: "USDT", balance: 1 }])
      const logs = captureLogs()
      const seen: Array<string> = []
      const WRONG_KEY = "wrong-key-0123456789abcdef0123456789abcdef0123456789abcdef01234567"
      const WRONG_SECRET = "wrong-secret-0123456789abcdef0123456789abcdef0123456789abcdef0123"
      const scenarios = [
        { apiKey: fake.apiKey, apiSecret: fake.apiSecret, before: () => undefined },
        { apiKey: WRONG_KEY, apiSecret: fake.apiSecret, before: () => undefined },
        { apiKey: fake.apiKey, apiSecret: WRONG_SECRET, before: () => undefined },
        {
          apiKey: fake.apiKey,
          apiSecret: fake.apiSecret,
          before: () => fake.failNext({ status: 400, code: -1021, msg: "Timestamp for this request is outside of the recvWindow." }, { path: "/fapi/v3/balance" })
        },
        { apiKey: fake.apiKey, apiSecret: fake.apiSecret, before: () => fake.rateLimit({ status: 429, retryAfterSeconds: 1 }) }
      ]
      for (const scenario of scenarios) {
        scenario.before()
        yield* Effect.gen(function*() {
          const balance = yield* AccountBalance
          const health = yield* eventually(balance.health, (h) => h.status !== "ok" || h.details?.["positions"] !== undefined)
          seen.push(...renderings(health))
          const outcome = yield* Effect.either(balance.balance)
          seen.push(...renderings(outcome._tag === "Left" ? outcome.left : outcome.right))
          if (outcome._tag === "Left") seen.push(...renderings(outcome.left.cause))
          const positions = yield* Effect.either(balance.positions)
          if (positions._tag === "Left") seen.push(...renderings(positions.left))
        }).pipe(
          Effect.provide(
            BinanceAccountBalance.layer({
              apiKey: Redacted.make(scenario.apiKey),
              apiSecret: Redacted.make(scenario.apiSecret),
              restUrl: fake.restUrl,
              refreshInterval: "50 millis"
            })
          ),
          Effect.provide(logs.layer)
        )
      }
      // The scenarios did run: errors and warnings were produced and captured.
      expect(logs.lines.some((line) => line.includes("-2015"))).toBe(true)
      expect(logs.lines.some((line) => line.includes("-1022"))).toBe(true)
      expect(logs.lines.some((line) => line.includes("re-syncing server time"))).toBe(true)
      expect(logs.lines.some((line) => line.includes("429"))).toBe(true)
      expect(seen.some((text) => text.includes("BinanceInvalidSignature"))).toBe(true)
      for (const text of [...logs.lines, ...seen]) {
        for (const secret of [fake.apiKey, fake.apiSecret, WRONG_KEY, WRONG_SECRET]) {
          expect(text.includes(secret), `a secret leaked into: ${text.slice(0, 300)}`).toBe(false)
        }
      }
    }))
})
