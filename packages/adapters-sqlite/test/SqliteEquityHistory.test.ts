import { EquityCurve, EquityHistory } from "@portfolio/core"
import { equityHistoryContract, equitySample, extremesFromScratch } from "@portfolio/core/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import BetterSqlite3 from "better-sqlite3"
import { Kysely, SqliteDialect } from "kysely"
import { SqliteDatabase, SqliteEquityHistory, SqliteMigrations } from "../src/index.js"
import { useTempDir } from "./fixtures/TempDir.js"

const { freshPath } = useTempDir()

const historyAt = (path: string) => SqliteEquityHistory.layer.pipe(Layer.provide(SqliteDatabase.layer({ path })))

equityHistoryContract("SqliteEquityHistory (file)", () => historyAt(freshPath()))

describe("SqliteEquityHistory", () => {
  it.effect("extremes and the time order survive closing and reopening the database", () =>
    Effect.gen(function*() {
      const path = freshPath()
      const samples = [100, 140, 70, 120, 90].map((e, i) => equitySample(1000 * (i + 1), e))
      yield* Effect.flatMap(EquityHistory, (history) => Effect.forEach(samples, history.append)).pipe(
        Effect.provide(historyAt(path))
      )
      yield* Effect.flatMap(EquityHistory, (history) =>
        Effect.gen(function*() {
          expect(yield* history.extremes).toEqual(extremesFromScratch(samples))
          expect(yield* history.latest).toEqual(samples[4])
          expect((yield* Effect.flip(history.append(equitySample(4999, 1))))._tag).toBe("StoreError")
          yield* history.append(equitySample(5000, 150))
          expect(yield* history.extremes).toEqual(extremesFromScratch([...samples, equitySample(5000, 150)]))
        })
      ).pipe(Effect.provide(historyAt(path)))
    }))

  it.effect("migration 0004 rolls up the samples already stored; later appends extend the same buckets", () =>
    Effect.gen(function*() {
      const path = freshPath()
      const M = EquityCurve.ROLLUP_MS
      const before = [100, 90, 130, 95, 105].map((e, i) => equitySample(1_700_000_000_000 + i * (M / 2) - 1, e))
      // A database written by the previous version: migrated up to 0003, samples without a rollup.
      yield* Effect.promise(async () => {
        const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(path) }) })
        const { error } = await SqliteMigrations.migrator(kysely).migrateTo("0003_parked_closes")
        if (error !== undefined) throw error
        for (const [i, s] of before.entries()) await kysely.insertInto("equity_samples").values({ seq: i + 1, ...s }).execute()
        await kysely.updateTable("equity_extremes").set({ sample_count: before.length, latest_at: before.at(-1)!.at }).execute()
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
        })
      ).pipe(Effect.provide(historyAt(path)))
    }))
})
