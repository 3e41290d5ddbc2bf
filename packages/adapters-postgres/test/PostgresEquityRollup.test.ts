import { EquityCurve, EquityHistory } from "@portfolio/core"
import { equitySample } from "@portfolio/core/testing"
import { expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Kysely, PostgresDialect } from "kysely"
import pg from "pg"
import { PostgresDatabase, PostgresEquityHistory, PostgresMigrations } from "../src/index.js"
import { describePostgres, testUrl, url, useSchemas } from "./fixtures/Postgres.js"

const { freshSchema } = useSchemas("rollup")

const historyOn = (options: PostgresDatabase.Options) =>
  PostgresEquityHistory.layer.pipe(Layer.provide(PostgresDatabase.layer(options)))

describePostgres("PostgresEquityHistory rollup (migration 0004)", () => {
  it.effect("rolls up the samples already stored, per account; later appends extend the same buckets", () =>
    Effect.gen(function*() {
      const schema = freshSchema()
      const M = EquityCurve.ROLLUP_MS
      const before = [100, 90, 130, 95, 105].map((e, i) => equitySample(1_700_000_000_000 + i * (M / 2) - 1, e))
      // A database written at 0003 (no rollup), the same times in another account with other equities.
      yield* Effect.promise(async () => {
        const pool = new pg.Pool({ connectionString: testUrl, options: `-c search_path=${schema}` })
        const kysely = new Kysely<any>({ dialect: new PostgresDialect({ pool }) })
        await kysely.schema.createSchema(schema).execute()
        const { error } = await PostgresMigrations.migrator(kysely, schema).migrateTo("0003_parked_closes")
        if (error !== undefined) throw error
        for (const account_id of ["default", "other"]) {
          for (const [i, s] of before.entries()) {
            await kysely.insertInto("equity_samples").values({ account_id, seq: i + 1, ...s, equity: account_id === "other" ? 1 : s.equity }).execute()
          }
          await kysely.insertInto("equity_extremes").values({ account_id, sample_count: before.length, latest_at: before.at(-1)!.at, max_drawdown_pct: 0 }).execute()
        }
        await kysely.destroy()
      })
      const after = equitySample(before.at(-1)!.at + 1, 80)
      const all = [...before, after]
      yield* Effect.flatMap(EquityHistory, (history) =>
        Effect.gen(function*() {
          expect(yield* history.bucketed({}, M)).toEqual(EquityCurve.bucketize(before, M))
          yield* history.append(after)
          expect(yield* history.bucketed({}, M)).toEqual(EquityCurve.bucketize(all, M))
          expect(yield* history.bucketed({}, 4 * M)).toEqual(EquityCurve.bucketize(all, 4 * M))
          // A boundary on a bucket edge answers from the rollup (its close and close time).
          const edge = EquityCurve.bucketStart(before[2]!.at, M) + M
          expect(yield* history.lastBefore([edge])).toEqual([{ at: before[2]!.at, equity: 130 }])
        })
      ).pipe(Effect.provide(historyOn({ url, schema })))
    }))
})
