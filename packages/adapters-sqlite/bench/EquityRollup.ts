/**
 * The equity history's analytics reads over a year of 10-second samples (3 153 600, issue 12),
 * on a SQLite file in a temporary directory (removed at the end): the samples and their
 * 15-minute rollup are generated in SQL, then each read is timed `RUNS` times.
 *
 * - `bucketed` over the year at the size `/equity` picks for it (6 h, from the rollup);
 * - `bucketed` over the last 7 days at 5 minutes (from the samples: 60 480 rows grouped in SQL);
 * - `lastBefore` at 365 local midnights (the daily closes of `/analytics`);
 * - `range` over the last 7 days, for comparison (what reading the samples costs).
 *
 * Run: `pnpm --filter @portfolio/adapters-sqlite exec node --conditions=source --import tsx bench/EquityRollup.ts`.
 */
import { Calendar, EquityCurve, EquityHistory } from "@portfolio/core"
import { Effect, Layer } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqliteDatabase, SqliteEquityHistory } from "../src/index.js"

const RUNS = Number(process.env["RUNS"] ?? 30)
const SAMPLES = 365 * 8_640
const STEP = 10_000
const END = Date.UTC(2026, 0, 1)
const START = END - SAMPLES * STEP

const dir = mkdtempSync(join(tmpdir(), "portfolio-rollup-bench-"))
const percentile = (xs: ReadonlyArray<number>, p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!

const program = Effect.gen(function*() {
  const { sqlite } = yield* SqliteDatabase.SqliteDatabase
  const history = yield* EquityHistory
  const t0 = performance.now()
  sqlite.exec(`
    with recursive n(i) as (select 0 union all select i + 1 from n where i + 1 < ${SAMPLES})
    insert into equity_samples (seq, at, equity, cash, unrealized_pnl)
    select i + 1, ${START} + i * ${STEP}, 10000 + 500 * sin(i / 5000.0) + (i % 97), 10000, 0 from n;
    insert into equity_rollup (bucket, open, high, low, close, samples)
    select g.bucket, f.equity, g.high, g.low, l.equity, g.samples from (
      select at - (at % 900000) as bucket, min(seq) as first_seq, max(seq) as last_seq, max(equity) as high, min(equity) as low, count(*) as samples
      from equity_samples group by 1) g
    join equity_samples f on f.seq = g.first_seq join equity_samples l on l.seq = g.last_seq;
    update equity_extremes set sample_count = ${SAMPLES}, latest_at = ${END - STEP};
  `)
  process.stderr.write(`generated ${SAMPLES} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  const utc = Calendar.make("UTC")
  const firstDay = Calendar.dayKey(utc, START)
  const ends = EquityCurve.dayEnds(utc, firstDay, firstDay + 364)
  const yearSize = EquityCurve.bucketSizeFor(START, END)
  const cases: ReadonlyArray<readonly [string, Effect.Effect<number, unknown>]> = [
    [`bucketed, the year at ${yearSize / 3_600_000} h (rollup)`, Effect.map(history.bucketed({ from: START, to: END }, yearSize), (b) => b.length)],
    ["bucketed, 7 days at 5 min (samples)", Effect.map(history.bucketed({ from: END - 7 * 86_400_000, to: END }, 300_000), (b) => b.length)],
    ["lastBefore, 365 day ends", Effect.map(history.lastBefore(ends), (c) => c.length)],
    ["range, 7 days (for comparison)", Effect.map(history.range({ from: END - 7 * 86_400_000, to: END }), (r) => r.length)]
  ]
  for (const [name, read] of cases) {
    const times: Array<number> = []
    let rows = 0
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now()
      rows = yield* read
      times.push(performance.now() - t)
    }
    console.log(`| ${name} | ${rows} rows | p50 ${percentile(times, 0.5).toFixed(2)} ms | p99 ${percentile(times, 0.99).toFixed(2)} ms |`)
  }
})

Effect.runPromise(
  program.pipe(
    Effect.provide(SqliteEquityHistory.layer.pipe(Layer.provideMerge(SqliteDatabase.layer({ path: join(dir, "bench.db") }))))
  )
).finally(() => rmSync(dir, { recursive: true, force: true }))
