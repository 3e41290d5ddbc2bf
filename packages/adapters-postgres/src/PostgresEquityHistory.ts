/**
 * The `EquityHistory` port on the shared PostgreSQL pool, scoped to the database's account.
 * Each `append` is one transaction: it locks the account's extremes row (`select … for
 * update`, so two writers of one account cannot interleave), checks time order, inserts the
 * sample (numbered by `seq`) and rewrites the extremes row: the extremes never disagree with the
 * samples. `extremes` is a one-row read whatever the history's length.
 *
 * @since 0.1.0
 */
import { Drawdown, EquityHistory, type EquityHistoryService, type EquitySample, StoreError } from "@portfolio/core"
import { Effect, Layer } from "effect"
import * as EquityExtremes from "./internal/EquityExtremes.js"
import * as PostgresSpecific from "./internal/PostgresSpecific.js"
import { rowLimit } from "./internal/RowLimit.js"
import { inTransaction, param, placeholders, prepare } from "./internal/Statements.js"
import { PostgresDatabase } from "./PostgresDatabase.js"
import type { EquityExtremesTable, EquitySamplesTable } from "./Tables.js"

const sampleColumns = ["at", "equity", "cash", "unrealized_pnl"] as const

/** An equity history on the {@link PostgresDatabase} in context. */
export const make: Effect.Effect<EquityHistoryService, never, PostgresDatabase> = Effect.map(
  PostgresDatabase,
  ({ accountId, kysely, pool, scrub }) => {
    const lockExtremes = prepare("portfolio_lock_extremes", { account_id: param<string>("account_id") }, (p) =>
      kysely.selectFrom("equity_extremes").selectAll().where("account_id", "=", p.account_id).forUpdate())
    const createExtremes = prepare("portfolio_create_extremes", { account_id: param<string>("account_id") }, (p) =>
      kysely
        .insertInto("equity_extremes")
        .values({ account_id: p.account_id, sample_count: 0, max_drawdown_pct: 0 })
        .onConflict((oc) => oc.column("account_id").doNothing()))
    const insertSample = prepare(
      "portfolio_insert_sample",
      placeholders<EquitySamplesTable>({ account_id: true, seq: true, at: true, equity: true, cash: true, unrealized_pnl: true }),
      (p) => kysely.insertInto("equity_samples").values(p)
    )
    const updateExtremes = prepare(
      "portfolio_update_extremes",
      placeholders<EquityExtremesTable>({
        account_id: true,
        sample_count: true,
        latest_at: true,
        peak_at: true,
        peak_equity: true,
        peak_cash: true,
        peak_unrealized_pnl: true,
        trough_at: true,
        trough_equity: true,
        trough_cash: true,
        trough_unrealized_pnl: true,
        max_drawdown_pct: true
      }),
      ({ account_id, ...row }) => kysely.updateTable("equity_extremes").set(row).where("account_id", "=", account_id)
    )

    const attempt = <A>(operation: string, run: () => Promise<A>): Effect.Effect<A, StoreError> =>
      Effect.tryPromise({ try: run, catch: (cause) => PostgresSpecific.toStoreError(operation, cause, scrub) })

    const readExtremes = async (): Promise<EquityExtremesTable | undefined> =>
      kysely.selectFrom("equity_extremes").selectAll().where("account_id", "=", accountId).executeTakeFirst()

    const append = (sample: EquitySample) =>
      inTransaction(pool, async (client) => {
        let row = (await lockExtremes.run(client, { account_id: accountId })).rows[0]
        if (row === undefined) {
          // The row is made at start; made again here if someone deleted it since.
          await createExtremes.run(client, { account_id: accountId })
          row = (await lockExtremes.run(client, { account_id: accountId })).rows[0]
          if (row === undefined) throw new Error("the account's equity_extremes row cannot be created")
        }
        if (row.latest_at !== null && sample.at < row.latest_at) {
          throw new StoreError({
            operation: "append",
            reason: `sample at ${sample.at} is older than the latest at ${row.latest_at}`,
            retryable: false
          })
        }
        const next = Drawdown.advanceExtremes(EquityExtremes.fromRow(row), sample)
        await insertSample.run(client, {
          account_id: accountId,
          seq: row.sample_count + 1,
          at: sample.at,
          equity: sample.equity,
          cash: sample.cash,
          unrealized_pnl: sample.unrealized_pnl
        })
        await updateExtremes.run(client, { account_id: accountId, ...EquityExtremes.toRow(next, sample.at) })
      })

    return EquityHistory.of({
      append: (sample) => {
        const bad = sampleColumns.find((k) => !Number.isFinite(sample[k]))
        return bad !== undefined
          ? Effect.fail(
            new StoreError({ operation: "append", reason: `${bad} is not a finite number (${sample[bad]})`, retryable: false })
          )
          : attempt("append", () => append(sample))
      },
      range: (range) =>
        attempt("range", async (): Promise<Array<EquitySample>> => {
          let select = kysely.selectFrom("equity_samples").select(sampleColumns).where("account_id", "=", accountId)
          if (range?.from !== undefined) select = select.where("at", ">=", range.from)
          if (range?.to !== undefined) select = select.where("at", "<", range.to)
          select = select.orderBy("at").orderBy("seq")
          const limit = rowLimit(range)
          // Rows as arrays, made into samples here: half the client time of pg's row objects on
          // a 7-day range (tens of thousands of rows), which is most of the time of the read.
          const compiled = (limit === undefined ? select : select.limit(limit)).compile()
          const result = await pool.query<[number, number, number, number]>({
            text: compiled.sql,
            values: [...compiled.parameters],
            rowMode: "array"
          })
          const samples = new Array<EquitySample>(result.rows.length)
          for (let i = 0; i < samples.length; i++) {
            const [at, equity, cash, unrealized_pnl] = result.rows[i] as [number, number, number, number]
            samples[i] = { at, equity, cash, unrealized_pnl }
          }
          return samples
        }),
      latest: attempt("latest", async () =>
        (await kysely
          .selectFrom("equity_samples")
          .select(sampleColumns)
          .where("account_id", "=", accountId)
          .orderBy("seq", "desc")
          .limit(1)
          .executeTakeFirst()) ?? null),
      extremes: attempt("extremes", async () => {
        const row = await readExtremes()
        return row === undefined
          ? { peak: null, trough_since_peak: null, max_drawdown_pct: 0, count: 0 }
          : EquityExtremes.fromRow(row)
      })
    })
  }
)

/** The {@link EquityHistory} on the {@link PostgresDatabase} layer it is given. */
export const layer: Layer.Layer<EquityHistory, never, PostgresDatabase> = Layer.effect(EquityHistory, make)
