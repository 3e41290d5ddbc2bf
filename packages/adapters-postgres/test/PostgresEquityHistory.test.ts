import { EquityHistory } from "@portfolio/core"
import { equityHistoryContract, equitySample, extremesFromScratch } from "@portfolio/core/testing"
import { expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { PostgresDatabase, PostgresEquityHistory } from "../src/index.js"
import { admin, describePostgres, url, useSchemas } from "./fixtures/Postgres.js"

const { freshSchema, onFreshSchema } = useSchemas("equity")

const historyOn = (options: PostgresDatabase.Options) =>
  PostgresEquityHistory.layer.pipe(Layer.provide(PostgresDatabase.layer(options)))

describePostgres("PostgresEquityHistory", () => {
  // Each test on an empty database of its own (a fresh schema, dropped afterwards).
  equityHistoryContract("PostgresEquityHistory (a schema per test)", () => onFreshSchema(historyOn), { propertyRuns: 25 })

  // Each test a new account of one shared schema, beside every earlier account's samples.
  const shared = freshSchema()
  let accounts = 0
  // 25 property runs, as above: each run appends through the server, and 100 outlast the test's
  // 30 s on a loaded machine.
  equityHistoryContract("PostgresEquityHistory (an account per test, one shared schema)", () =>
    historyOn({ url, schema: shared, accountId: `account-${++accounts}` }), { propertyRuns: 25 })

  it.effect("extremes and the time order survive closing and reopening the pool", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const samples = [100, 140, 70, 120, 90].map((e, i) => equitySample(1000 * (i + 1), e))
      yield* Effect.flatMap(EquityHistory, (history) => Effect.forEach(samples, history.append)).pipe(
        Effect.provide(historyOn({ url, schema }))
      )
      yield* Effect.flatMap(EquityHistory, (history) =>
        Effect.gen(function*() {
          expect(yield* history.extremes).toEqual(extremesFromScratch(samples))
          expect(yield* history.latest).toEqual(samples[4])
          expect((yield* Effect.flip(history.append(equitySample(4999, 1))))._tag).toBe("StoreError")
          yield* history.append(equitySample(5000, 150))
          expect(yield* history.extremes).toEqual(extremesFromScratch([...samples, equitySample(5000, 150)]))
        })
      ).pipe(Effect.provide(historyOn({ url, schema })))
    }))

  it.effect("two accounts in one database keep their own samples and extremes, and their own time order", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const alice = yield* Effect.map(Layer.build(historyOn({ url, schema, accountId: "alice" })), Context.get(EquityHistory))
      const bob = yield* Effect.map(Layer.build(historyOn({ url, schema, accountId: "bob" })), Context.get(EquityHistory))
      const a = [100, 90, 120].map((e, i) => equitySample(10_000 + i, e))
      const b = [5, 7].map((e, i) => equitySample(1 + i, e))
      // Interleaved; bob's samples are older than alice's, which must not make them "out of order".
      yield* alice.append(a[0]!)
      yield* bob.append(b[0]!)
      yield* alice.append(a[1]!)
      yield* bob.append(b[1]!)
      yield* alice.append(a[2]!)
      expect(yield* alice.range()).toEqual(a)
      expect(yield* bob.range()).toEqual(b)
      expect(yield* alice.latest).toEqual(a[2])
      expect(yield* bob.latest).toEqual(b[1])
      expect(yield* alice.extremes).toEqual(extremesFromScratch(a))
      expect(yield* bob.extremes).toEqual(extremesFromScratch(b))
    }).pipe(Effect.scoped))

  it.effect("equity_samples: a BRIN index on at (or a Timescale hypertable), reported by the database", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const db = yield* Effect.map(Layer.build(PostgresDatabase.layer({ url, schema })), Context.get(PostgresDatabase.PostgresDatabase))
      const timescale = yield* Effect.promise(() =>
        admin<{ n: number }>("select count(*)::int as n from pg_extension where extname = 'timescaledb'"))
      if (timescale.rows[0]?.n === 0) {
        expect(db.equitySamples).toBe("table")
        const indexes = yield* Effect.promise(() =>
          admin<{ indexdef: string }>("select indexdef from pg_indexes where schemaname = $1 and tablename = 'equity_samples'", [schema]))
        expect(indexes.rows.map((r) => r.indexdef).join("\n")).toMatch(/USING brin \(at\)/)
      } else {
        expect(db.equitySamples).toBe("hypertable")
      }
    }).pipe(Effect.scoped))
})
