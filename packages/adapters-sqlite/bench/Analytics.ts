/**
 * The history and analytics queries (`AnalyticsQueries`, what the `/api/portfolio/*` routes of
 * issue 12 answer from) on a SQLite file holding a year of 10-second equity samples (with their
 * rollup), 100 000 round trips (one close each, over the year, 8 symbols) and a year of daily
 * marks, all generated in SQL; the close rollup (migration 0006) is then built from the closes by
 * the migration's backfill (timed). Each query runs `RUNS` times; p50 and p99 in ms. The HTTP
 * layer (parameter parsing, JSON) is not included.
 *
 * Run: `cd packages/adapters-sqlite && node --conditions=source --import tsx bench/Analytics.ts`.
 */
import { AnalyticsQueries, CashUnavailable, EquityHistory, TradeStore } from "@portfolio/core"
import { Effect, Layer, TestClock, TestContext } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqliteDatabase, SqliteEquityHistory, SqliteTradeStore } from "../src/index.js"
import * as CloseRollupMigration from "../src/migrations/0006_close_rollup.js"

const RUNS = Number(process.env["RUNS"] ?? 20)
const SAMPLES = 365 * 8_640
const TRADES = 100_000
const END = Date.UTC(2026, 0, 1)
const START = END - SAMPLES * 10_000
const dir = mkdtempSync(join(tmpdir(), "portfolio-analytics-bench-"))
const percentile = (xs: ReadonlyArray<number>, p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!

const program = Effect.gen(function*() {
  const { kysely, sqlite } = yield* SqliteDatabase.SqliteDatabase
  const history = yield* EquityHistory
  const store = yield* TradeStore
  const t0 = performance.now()
  sqlite.exec(`
    with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < ${SAMPLES})
    insert into equity_samples (seq, at, equity, cash, unrealized_pnl)
    select i + 1, ${START} + i * 10000, 10000 + 500 * sin(i / 5000.0) + (i % 97), 10000, 0 from n;
    insert into equity_rollup (bucket, open, high, low, close, samples)
    select g.bucket, f.equity, g.high, g.low, l.equity, g.samples from (
      select at - (at % 900000) as bucket, min(seq) as first_seq, max(seq) as last_seq, max(equity) as high, min(equity) as low, count(*) as samples
      from equity_samples group by 1) g
    join equity_samples f on f.seq = g.first_seq join equity_samples l on l.seq = g.last_seq;
    update equity_extremes set sample_count = ${SAMPLES}, latest_at = ${END - 10_000};
    with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < ${TRADES})
    insert into closed_trades (close_id, trade_id, symbol, side, entry_price, exit_price, quantity, realized_pnl, fees, opened_at, closed_at, remaining_size, orphan, over_close, round_trip_pnl)
    select 'c' || i, 't' || i, 'SYM' || (i % 8) || 'USDT', 'LONG', 100, 101, 1, ((i * 7919) % 200) - 90, 0, ${START} + i * 315000, ${START} + i * 315000 + 60000, 0, 0, 0, ((i * 7919) % 200) - 90 from n;
    with recursive d(i) as (select 0 union all select i + 1 from d where i + 1 < 365), s(k) as (select 0 union all select k + 1 from s where k + 1 < 8)
    insert into daily_marks (symbol, day, price, at)
    select 'SYM' || k || 'USDT', ${Math.floor(START / 86_400_000)} + i, 100 + 10 * sin(i / 7.0 + k), ${START} + i * 86400000 from d, s;
  `)
  process.stderr.write(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  const t1 = performance.now()
  yield* Effect.promise(() => CloseRollupMigration.backfill(kysely))
  const rollupRows = sqlite.prepare("select count(*) as n from close_rollup").get() as { n: number }
  process.stderr.write(`close rollup backfilled from ${TRADES} closes in ${((performance.now() - t1) / 1000).toFixed(1)} s (${rollupRows.n} rows)\n`)
  yield* TestClock.setTime(END)
  const q = AnalyticsQueries.make({
    options: { timeZone: "Europe/Oslo" },
    store,
    history,
    snapshot: Effect.fail(new CashUnavailable({ reason: "not measured", retryable: false }))
  })
  const cases: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown>]> = [
    ["equity (the year)", q.equity({})],
    ["drawdown/history?window=1y", q.drawdownHistory("1y")],
    ["analytics?window=1y", q.analytics("1y")],
    ["analytics?window=30d", q.analytics("30d")],
    ["performance?window=1y", q.performance("1y")],
    ["periods?unit=day&count=30", q.periods("day", 30)],
    ["periods?unit=month&count=12", q.periods("month", 12)],
    ["periods?unit=day&count=365", q.periods("day", 365)],
    ["heatmap?by=weekday_hour&window=1y", q.heatmap("weekday_hour", "1y")],
    ["heatmap?by=symbol_month&window=1y", q.heatmap("symbol_month", "1y")],
    ["correlation?window=1y", q.correlation("1y")],
    ["trades?limit=100 (first page)", q.trades({ status: "closed", limit: 100 })]
  ]
  for (const [name, run] of cases) {
    const times: Array<number> = []
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now()
      yield* run
      times.push(performance.now() - t)
    }
    console.log(`| ${name} | ${percentile(times, 0.5).toFixed(1)} ms | ${percentile(times, 0.99).toFixed(1)} ms |`)
  }
})

const stores = Layer.mergeAll(SqliteEquityHistory.layer, SqliteTradeStore.layer).pipe(
  Layer.provideMerge(SqliteDatabase.layer({ path: join(dir, "bench.db") }))
)
Effect.runPromise(program.pipe(Effect.provide(stores), Effect.provide(TestContext.TestContext))).finally(() =>
  rmSync(dir, { recursive: true, force: true })
)
