/**
 * `portfolio export` and `portfolio report` on PostgreSQL: the rows one account's store holds
 * in a schema of its own (`--postgres URL --schema S --account-id A`), and none of another
 * account's rows in the same tables. Against the real server of the tests
 * (`PORTFOLIO_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`); a test
 * fails, never skips, when it is unreachable.
 */
import { describe, expect, it } from "@effect/vitest"
import { PostgresStore } from "@portfolio/adapters-postgres"
import { EquityHistory, TradeStore } from "@portfolio/core"
import { closedTradeRecord, equitySample, storeBatch } from "@portfolio/core/testing"
import { Effect, Redacted } from "effect"
import { join } from "node:path"
import pg from "pg"
import { cli, inspectPdf, T0, DAY, tempDir } from "./support/Session.js"

const url = process.env["PORTFOLIO_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
const schema = `pit_cli_${Math.random().toString(36).slice(2, 8)}`

const admin = async (text: string) => {
  const client = new pg.Client({ connectionString: url })
  client.on("error", () => {})
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end().catch(() => undefined)
  }
}

const store = (accountId: string) => PostgresStore.layer({ url: Redacted.make(url), schema, accountId })

describe("PostgreSQL exports and reports", () => {
  it.live("export and report read one account's rows from its schema", () =>
    Effect.gen(function* () {
      const mine = Array.from({ length: 30 }, (_, i) => closedTradeRecord(`c-${i}`, T0 + i * DAY / 3, { realized_pnl: i % 3 === 0 ? -5 : 12.5, symbol: i % 2 ? "BTCUSDT" : "ETHUSDT" }))
      yield* Effect.gen(function* () {
        const trades = yield* TradeStore
        const history = yield* EquityHistory
        yield* trades.commit(storeBatch("mine", { closes: mine }))
        for (let i = 0; i < 60; i++) yield* history.append(equitySample(T0 + i * DAY / 6, 10_000 + i * 3 - (i % 4) * 5))
      }).pipe(Effect.provide(store("alice")))
      yield* Effect.gen(function* () {
        yield* (yield* TradeStore).commit(storeBatch("theirs", { closes: [closedTradeRecord("other-1", T0)] }))
      }).pipe(Effect.provide(store("bob")))
      yield* Effect.addFinalizer(() => Effect.promise(() => admin(`drop schema if exists "${schema}" cascade`)))

      const flags = ["--postgres", url, "--schema", schema, "--account-id", "alice"]
      const exported = yield* Effect.promise(() => cli(["export", "closes", "--format", "json", ...flags]))
      expect(exported.stderr).toBe("")
      const rows = JSON.parse(exported.stdout) as Array<{ close_id: string }>
      expect(rows.map((r) => r.close_id)).toEqual(mine.map((c) => c.close_id))

      const equity = yield* Effect.promise(() => cli(["export", "equity", "--format", "ndjson", "--from", String(T0 + DAY), ...flags]))
      expect(equity.stdout.trim().split("\n")).toHaveLength(54)

      const dir = tempDir()
      const pdf = join(dir, "alice.pdf")
      const report = yield* Effect.promise(() => cli(["report", "--out", pdf, "--title", "Alice", ...flags]))
      expect(report.stderr).toBe("")
      const { pages, text } = inspectPdf(pdf, dir)
      expect(pages).toBe(2)
      expect(text).toContain("Alice")
      expect(text).toContain("30 (20 won, 10 lost)")
    }).pipe(Effect.scoped), 120_000)
})
