/**
 * `range` reads samples packed (src/internal/PackedSamples.ts): checked here against a plain
 * row-by-row read of the same rows, on more samples than one packed page holds, with values
 * that only survive bit for bit (−0, the largest and smallest doubles, awkward fractions); and
 * on rows stored out of order (inserted backwards, equal times), which the read as stored must
 * refuse, reading them sorted instead.
 */
import { EquityHistory } from "@portfolio/core"
import { expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { PostgresDatabase, PostgresEquityHistory } from "../src/index.js"
import { PAGE_ROWS } from "../src/internal/PackedSamples.js"
import { describePostgres, url, useSchemas } from "./fixtures/Postgres.js"

const { freshSchema } = useSchemas("packed")

/** A sample's value that a lossy path would change: −0, extremes, fractions with long expansions. */
const awkward = ["'-0'::float8", "1.7976931348623157e308", "-5e-324", "0.1 + 0.2", "1.0 / 3", "-(g * 0.7)"]

describePostgres("packed range reads", () => {
  it.effect("give, bit for bit and in order, what a row-by-row read gives, across pages, with from, to and limit", () =>
    Effect.gen(function*() {
      const layer = PostgresEquityHistory.layer.pipe(Layer.provideMerge(PostgresDatabase.layer({ url, schema: freshSchema(), accountId: "packed" })))
      const context = yield* Layer.build(layer)
      const history = Context.get(context, EquityHistory)
      const { pool } = Context.get(context, PostgresDatabase.PostgresDatabase)
      const count = PAGE_ROWS + 4_321
      // In SQL, as appends would (seq 1, 2, … in time order), with repeated times; another
      // account's rows interleaved in time, which no read of this account must see.
      yield* Effect.promise(() =>
        pool.query(
          `insert into equity_samples (account_id, seq, at, equity, cash, unrealized_pnl)
           select 'packed', g, 1000 * (g / 3), ${awkward.map((v, i) => `case when g % 6 = ${i} then ${v} else 0 end`).join(" + ")},
                  g * 1.25, case when g % 2 = 0 then '-0'::float8 else g / 7.0 end
           from generate_series(1::int8, $1::int8) as g
           union all
           select 'other', g, 1000 * g + 1, 1, 2, 3 from generate_series(1::int8, 5000::int8) as g`,
          [count]
        ))
      const rowByRow = (where: string, limit?: number, account = "packed") =>
        Effect.promise(() =>
          pool.query<{ at: number; equity: number; cash: number; unrealized_pnl: number }>(
            `select at, equity, cash, unrealized_pnl from equity_samples where account_id = '${account}' ${where} order by at, seq ${limit === undefined ? "" : `limit ${limit}`}`
          )
        ).pipe(Effect.map((r) => r.rows.map(({ at, cash, equity, unrealized_pnl }) => ({ at, equity, cash, unrealized_pnl }))))

      const all = yield* history.range()
      expect(all.length).toBe(count)
      // toStrictEqual tells −0 from 0 (Object.is), so every value is checked bit for bit.
      expect(all).toStrictEqual(yield* rowByRow(""))
      expect(all.filter((s) => Object.is(s.unrealized_pnl, -0)).length).toBe(Math.floor(count / 2))
      expect(all.some((s) => s.equity === 1.7976931348623157e308)).toBe(true)
      expect(all.some((s) => s.equity === -5e-324)).toBe(true)

      const from = 1000 * 80_000
      const to = 1000 * 89_000
      expect(yield* history.range({ from, to })).toStrictEqual(yield* rowByRow(`and at >= ${from} and at < ${to}`))
      // From inside the history, to its end: across the page boundary again.
      expect(yield* history.range({ from: 1000 * 1_000 })).toStrictEqual(yield* rowByRow(`and at >= ${1000 * 1_000}`))
      expect(yield* history.range({ from: 1000 * 1_000, to: 1000 * 90_000, limit: PAGE_ROWS - 5 })).toStrictEqual(
        yield* rowByRow(`and at >= ${1000 * 1_000} and at < ${1000 * 90_000}`, PAGE_ROWS - 5)
      )
      // A limit past the first page, one of exactly a page, and one inside it.
      expect(yield* history.range({ limit: PAGE_ROWS + 7 })).toStrictEqual(yield* rowByRow("", PAGE_ROWS + 7))
      expect(yield* history.range({ limit: PAGE_ROWS })).toStrictEqual(yield* rowByRow("", PAGE_ROWS))
      expect(yield* history.range({ from, limit: 10 })).toStrictEqual(yield* rowByRow(`and at >= ${from}`, 10))
      expect(yield* history.range({ from: 1e15 })).toEqual([])
      expect(yield* history.range({ limit: 0 })).toEqual([])

      // Stored backwards (the heap in descending seq), three samples per millisecond: read sorted.
      const backwards = yield* Layer.build(
        PostgresEquityHistory.layer.pipe(Layer.provide(Layer.succeed(PostgresDatabase.PostgresDatabase, { ...Context.get(context, PostgresDatabase.PostgresDatabase), accountId: "backwards" })))
      )
      yield* Effect.promise(() =>
        pool.query(
          `insert into equity_samples (account_id, seq, at, equity, cash, unrealized_pnl)
           select 'backwards', g, g / 3, g * 0.5, -g, g % 7 from generate_series(1::int8, 3000::int8) as g order by g desc`
        ))
      const reversed = Context.get(backwards, EquityHistory)
      const sorted = yield* rowByRow("", undefined, "backwards")
      expect(sorted.length).toBe(3000)
      expect(yield* reversed.range()).toStrictEqual(sorted)
      expect(yield* reversed.range({ from: 100, to: 200 })).toStrictEqual(yield* rowByRow("and at >= 100 and at < 200", undefined, "backwards"))
      expect(yield* reversed.range({ limit: 5 })).toStrictEqual(sorted.slice(0, 5))
    }).pipe(Effect.scoped), 120_000)
})
