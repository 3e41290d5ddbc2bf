/**
 * Benchmarks of the SQLite store, on files in a temporary directory (removed at the end):
 *
 * 1. commits per second of typical batches (an open-trade upsert; a close plus the open
 *    trade's delete), with `synchronous` FULL (the default) and NORMAL; equity appends per second;
 * 2. with 1 000 000 closes and 1 000 000 equity samples stored: the time of the reads the
 *    service makes (at start and per request), and of opening the database.
 *
 * Prints a markdown table. Run: `pnpm --filter @portfolio/adapters-sqlite bench`.
 */
import { Drawdown, EquityHistory, type EquityHistoryService, TradeStore, type TradeStoreService } from "@portfolio/core"
import { closedTradeRecord, equitySample, openTradeRecord, storeBatch } from "@portfolio/core/testing"
import { Context, Effect, Layer } from "effect"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as EquityExtremes from "../src/internal/EquityExtremes.js"
import * as RecordRows from "../src/internal/RecordRows.js"
import { SqliteDatabase, SqliteStore } from "../src/index.js"

const dir = mkdtempSync(join(tmpdir(), "portfolio-sqlite-bench-"))
const rows: Array<[string, string]> = []
const record = (what: string, value: string) => {
  rows.push([what, value])
  process.stderr.write(`${what}: ${value}\n`)
}

const ms = (x: number) => (x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`)
/** The median (the lower one for an even count). */
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number

/** Runs `body` with both stores and the database open at `path`, closing them after. */
const withStores = <A>(
  options: SqliteDatabase.Options,
  body: (s: { store: TradeStoreService; history: EquityHistoryService; db: SqliteDatabase.SqliteDatabaseService }) => Effect.Effect<A, unknown>
) =>
  Effect.scoped(
    Effect.flatMap(Layer.build(SqliteStore.layer(options)), (ctx) =>
      body({
        store: Context.get(ctx, TradeStore),
        history: Context.get(ctx, EquityHistory),
        db: Context.get(ctx, SqliteDatabase.SqliteDatabase)
      }))
  )

/** Median time of `runs` runs of `effect`, and the size of its last answer. */
const timeOf = <A>(runs: number, effect: Effect.Effect<A, unknown>, size: (a: A) => number) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    let n = 0
    for (let i = 0; i < runs; i++) {
      const start = performance.now()
      n = size(yield* effect)
      times.push(performance.now() - start)
    }
    return { ms: median(times), n }
  })

const commitThroughput = (synchronous: "FULL" | "NORMAL") =>
  withStores({ path: join(dir, `commits-${synchronous}.db`), synchronous }, ({ history, store }) =>
    Effect.gen(function*() {
      const budgetMs = 4000
      const maxCommits = 20_000
      const start = performance.now()
      let n = 0
      // Alternate: open a trade (one upsert), close it (one close + one delete).
      while (n < maxCommits && performance.now() - start < budgetMs) {
        const id = `t-${n >> 1}`
        const batch = n % 2 === 0
          ? storeBatch(`ev-${n}`, { upsertOpenTrades: [openTradeRecord(id)] })
          : storeBatch(`ev-${n}`, { eventType: "trade.closed", closes: [closedTradeRecord(`c-${n}`, n)], deleteOpenTrades: [id] })
        yield* store.commit(batch)
        n++
      }
      const commitsPerSecond = n / ((performance.now() - start) / 1000)
      const appendStart = performance.now()
      let a = 0
      while (a < maxCommits && performance.now() - appendStart < budgetMs / 2) {
        yield* history.append(equitySample(a, 10_000 + Math.sin(a) * 100))
        a++
      }
      const appendsPerSecond = a / ((performance.now() - appendStart) / 1000)
      record(`commits/s, synchronous=${synchronous} (open, or close + delete; ${n} commits)`, commitsPerSecond.toFixed(0))
      record(`equity appends/s, synchronous=${synchronous} (${a} appends)`, appendsPerSecond.toFixed(0))
    }))

const bigPath = join(dir, "big.db")
const closesStored = 1_000_000
const samplesStored = 1_000_000
const openStored = 1_000
const now = Date.UTC(2025, 0, 1)
const day = 86_400_000

/** Bulk-loads the big database in large transactions, outside the store API (and its fsyncs). */
const load = withStores({ path: bigPath, synchronous: "NORMAL" }, ({ db }) =>
  Effect.sync(() => {
    const start = performance.now()
    const insertClose = db.sqlite.prepare(
      "insert into closed_trades values (@close_id, @trade_id, @symbol, @side, @entry_price, @exit_price, @quantity, " +
        "@realized_pnl, @fees, @opened_at, @closed_at, @remaining_size, @orphan, @over_close)"
    )
    const chunk = 100_000
    const insertCloses = db.sqlite.transaction((from: number) => {
      for (let i = from; i < Math.min(from + chunk, closesStored); i++) {
        // One close every 30 s over the last ~347 days.
        const at = now - (closesStored - i) * 30_000
        insertClose.run(RecordRows.closeToRow(closedTradeRecord(`c-${String(i).padStart(7, "0")}`, at, { realized_pnl: Math.sin(i) * 50 })))
      }
    })
    for (let from = 0; from < closesStored; from += chunk) insertCloses(from)
    const closesMs = performance.now() - start

    const insertOpen = db.sqlite.prepare(
      "insert into open_trades values (@trade_id, @symbol, @side, @entry_price, @size, @original_size, @leverage, " +
        "@category, @opened_at, @realized_pnl, @fees, @updated_at)"
    )
    db.sqlite.transaction(() => {
      for (let i = 0; i < openStored; i++) insertOpen.run(openTradeRecord(`open-${i}`, { opened_at: now - i * 60_000 }))
    })()

    const samplesStart = performance.now()
    const insertSample = db.sqlite.prepare("insert into equity_samples values (?, ?, ?, ?, ?)")
    let extremes = EquityExtremes.fromRow(db.sqlite.prepare("select * from equity_extremes").get() as never)
    let equity = 10_000
    const insertSamples = db.sqlite.transaction((from: number) => {
      for (let i = from; i < Math.min(from + chunk, samplesStored); i++) {
        // One sample every 10 s over the last ~116 days.
        const at = now - (samplesStored - i) * 10_000
        equity = Math.max(1, equity + Math.sin(i * 0.37) * 20 + Math.cos(i * 0.011) * 5)
        const sample = equitySample(at, equity)
        insertSample.run(i + 1, sample.at, sample.equity, sample.cash, sample.unrealized_pnl)
        extremes = Drawdown.advanceExtremes(extremes, sample)
      }
    })
    for (let from = 0; from < samplesStored; from += chunk) insertSamples(from)
    const row = EquityExtremes.toRow(extremes, now - 10_000)
    const columns = Object.keys(row)
    db.sqlite.prepare(`update equity_extremes set ${columns.map((c) => `${c} = @${c}`).join(", ")} where id = 1`).run(row)
    db.sqlite.pragma("wal_checkpoint(TRUNCATE)")
    record(
      `bulk load: ${closesStored.toLocaleString("en")} closes / ${samplesStored.toLocaleString("en")} samples`,
      `${ms(closesMs)} / ${ms(performance.now() - samplesStart)} (file ${(statSync(bigPath).size / 2 ** 20).toFixed(0)} MiB)`
    )
  }))

const reads = Effect.gen(function*() {
  const openStart = performance.now()
  yield* withStores({ path: bigPath }, ({ history, store }) =>
    Effect.gen(function*() {
      record("open the database (checks + migrations up to date), 1M rows", ms(performance.now() - openStart))
      const open = yield* timeOf(9, store.openTrades, (r) => r.length)
      record(`openTrades (${open.n} rows)`, ms(open.ms))
      const recent = yield* timeOf(9, store.closedTrades({ from: now - day }), (r) => r.length)
      record(`closedTrades({ from: now − 1 day }) (${recent.n} rows)`, ms(recent.ms))
      const buckets = yield* timeOf(3, store.realizedBuckets, (r) => r.length)
      record(`realizedBuckets: what the service reads at start (${buckets.n.toLocaleString("en")} buckets)`, ms(buckets.ms))
      const marks = yield* timeOf(9, store.marks, (r) => r.length)
      record(`marks (${marks.n} symbols)`, ms(marks.ms))
      const all = yield* timeOf(1, store.closedTrades(), (r) => r.length)
      record(`closedTrades() full read, for export (${all.n.toLocaleString("en")} rows)`, ms(all.ms))
      const extremes = yield* timeOf(9, history.extremes, (e) => e.count)
      record(`extremes (over ${extremes.n.toLocaleString("en")} samples)`, ms(extremes.ms))
      const week = yield* timeOf(5, history.range({ from: now - 7 * day }), (r) => r.length)
      record(`equity range of the last 7 days (${week.n.toLocaleString("en")} of 1,000,000 samples)`, ms(week.ms))
      const counts = yield* timeOf(5, store.counts, (c) => c.closes)
      record("counts (health)", ms(counts.ms))
    }))
})

const main = Effect.gen(function*() {
  yield* commitThroughput("FULL")
  yield* commitThroughput("NORMAL")
  yield* load
  yield* reads
}).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true, force: true }))))

Effect.runPromise(main).then(
  () => {
    console.log("| measure | value |")
    console.log("| --- | --- |")
    for (const [what, value] of rows) console.log(`| ${what} | ${value} |`)
  },
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
