import { EquityHistory } from "@portfolio/core"
import { equityHistoryContract, equitySample, extremesFromScratch } from "@portfolio/core/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SqliteDatabase, SqliteEquityHistory } from "../src/index.js"
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
})
