/**
 * The `EquityHistory` port on the shared SQLite database. Each `append` is one transaction
 * that checks time order against the extremes row, inserts the sample (numbered by `seq`)
 * and rewrites the one-row `equity_extremes`, so the extremes never disagree with the
 * samples, even across `kill -9`. `extremes` is a one-row read whatever the history's length.
 *
 * @since 0.1.0
 */
import { Drawdown, EquityHistory, type EquityHistoryService, type EquitySample, StoreError } from "@portfolio/core"
import { Effect, Layer } from "effect"
import * as EquityExtremes from "./internal/EquityExtremes.js"
import { rowLimit } from "./internal/RowLimit.js"
import * as SqliteSpecific from "./internal/SqliteSpecific.js"
import * as SyncQuery from "./internal/SyncQuery.js"
import { SqliteDatabase } from "./SqliteDatabase.js"

const sampleColumns = ["at", "equity", "cash", "unrealized_pnl"] as const

/** An equity history on the {@link SqliteDatabase} in context. */
export const make: Effect.Effect<EquityHistoryService, never, SqliteDatabase> = Effect.map(SqliteDatabase, ({ kysely, sqlite }) => {
  const query = SyncQuery.make(sqlite)
  const readExtremes = () => {
    const row = query.first(kysely.selectFrom("equity_extremes").selectAll().where("id", "=", 1))
    if (row === undefined) throw new Error("the equity_extremes row is missing: the database was altered by hand")
    return row
  }

  const appendInTransaction = sqlite.transaction((sample: EquitySample) => {
    const row = readExtremes()
    if (row.latest_at !== null && sample.at < row.latest_at) {
      throw new StoreError({
        operation: "append",
        reason: `sample at ${sample.at} is older than the latest at ${row.latest_at}`,
        retryable: false
      })
    }
    const next = Drawdown.advanceExtremes(EquityExtremes.fromRow(row), sample)
    query.run(
      kysely.insertInto("equity_samples").values({
        seq: row.sample_count + 1,
        at: sample.at,
        equity: sample.equity,
        cash: sample.cash,
        unrealized_pnl: sample.unrealized_pnl
      })
    )
    query.run(kysely.updateTable("equity_extremes").set(EquityExtremes.toRow(next, sample.at)).where("id", "=", 1))
  })

  const attempt = <A>(operation: string, run: () => A): Effect.Effect<A, StoreError> =>
    Effect.try({ try: run, catch: (cause) => SqliteSpecific.toStoreError(operation, cause) })

  return EquityHistory.of({
    append: (sample) =>
      attempt("append", () => {
        const bad = sampleColumns.find((k) => !Number.isFinite(sample[k]))
        if (bad !== undefined) {
          throw new StoreError({ operation: "append", reason: `${bad} is not a finite number (${sample[bad]})`, retryable: false })
        }
        appendInTransaction.immediate(sample)
      }),
    range: (range) =>
      attempt("range", (): Array<EquitySample> => {
        let select = kysely.selectFrom("equity_samples").select(sampleColumns)
        if (range?.from !== undefined) select = select.where("at", ">=", range.from)
        if (range?.to !== undefined) select = select.where("at", "<", range.to)
        select = select.orderBy("at").orderBy("seq")
        const limit = rowLimit(range)
        return query.all(limit === undefined ? select : select.limit(limit))
      }),
    latest: attempt("latest", () =>
      query.first(kysely.selectFrom("equity_samples").select(sampleColumns).orderBy("seq", "desc").limit(1)) ?? null
    ),
    extremes: attempt("extremes", () => EquityExtremes.fromRow(readExtremes()))
  })
})

/** The {@link EquityHistory} on the {@link SqliteDatabase} layer it is given. */
export const layer: Layer.Layer<EquityHistory, never, SqliteDatabase> = Layer.effect(EquityHistory, make)
