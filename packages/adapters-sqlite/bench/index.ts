/**
 * Benchmarks of the SQLite store, on files in a temporary directory (removed at the end):
 *
 * 1. events per second committed by `commitMany` in batches of 1, 100 and 500 events of a
 *    mixed stream (opens, partial closes, fills, final closes), `synchronous=FULL`, beside the
 *    ceiling in the same run: bare better-sqlite3 prepared statements writing the same rows in
 *    one transaction per batch, on a database with the same schema and pragmas (DESIGN.md §10);
 * 2. equity appends per second, `synchronous` FULL and NORMAL;
 * 3. with 1 000 000 closes and 1 000 000 equity samples stored: the time of the reads the
 *    service makes (at start and per request), and of opening the database.
 *
 * Prints a markdown table. Run: `pnpm bench adapters-sqlite` (root) or
 * `pnpm --filter @portfolio/adapters-sqlite bench`.
 */
import { Drawdown, EquityHistory, type EquityHistoryService, type StoreBatch, TradeStore, type TradeStoreService } from "@portfolio/core"
import { closedTradeRecord, equitySample, fillRecord, netPositionRecord, openTradeRecord, storeBatch } from "@portfolio/core/testing"
import type BetterSqlite3 from "better-sqlite3"
import { Context, Effect, Layer } from "effect"
import { mkdtempSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
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

/**
 * Event `i` of a mixed stream, as the changes the service commits for it. Four events per
 * trade: its open, a partial close (a close and the trade's new size), a fill (fills mode: the
 * fill and the net position it changes), the final close (a close and the trade's delete).
 */
const mixedEvent = (i: number): StoreBatch => {
  const trade = `t-${i >> 2}`
  const at = 1_700_000_000_000 + i
  switch (i & 3) {
    case 0:
      return storeBatch(`ev-${i}`, { at, upsertOpenTrades: [openTradeRecord(trade, { opened_at: at, size: 1, original_size: 1 })] })
    case 1:
      return storeBatch(`ev-${i}`, {
        at,
        eventType: "trade.closed",
        closes: [closedTradeRecord(`c-${i}`, at, { trade_id: trade, quantity: 0.4, remaining_size: 0.6 })],
        upsertOpenTrades: [openTradeRecord(trade, { opened_at: at - 1, size: 0.6, original_size: 1, realized_pnl: 4, updated_at: at })]
      })
    case 2:
      return storeBatch(`ev-${i}`, {
        at,
        eventType: "order.executed",
        fills: [fillRecord(`f-${i}`, at)],
        upsertNetPositions: [netPositionRecord(`SYM${(i >> 2) % 50}USDT`, "LONG", { size: 1 + (i % 7), updated_at: at })]
      })
    default:
      return storeBatch(`ev-${i}`, {
        at,
        eventType: "trade.closed",
        closes: [closedTradeRecord(`c-${i}`, at, { trade_id: trade, quantity: 0.6, remaining_size: 0 })],
        deleteOpenTrades: [trade]
      })
  }
}

/**
 * The ceiling: the same rows written by hand-written prepared statements, one `BEGIN IMMEDIATE`
 * transaction per batch, nothing else (no key check answer, no results, no Effect).
 */
const bareWriter = (sqlite: BetterSqlite3.Database) => {
  const event = sqlite.prepare("insert into processed_events (event_key, event_type, at) values (?, ?, ?) on conflict do nothing")
  const close = sqlite.prepare("insert into closed_trades values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
  const fill = sqlite.prepare("insert into fills values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
  const open = sqlite.prepare(
    "insert into open_trades values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (trade_id) do update set " +
      "symbol = excluded.symbol, side = excluded.side, entry_price = excluded.entry_price, size = excluded.size, " +
      "original_size = excluded.original_size, leverage = excluded.leverage, category = excluded.category, " +
      "opened_at = excluded.opened_at, realized_pnl = excluded.realized_pnl, fees = excluded.fees, updated_at = excluded.updated_at"
  )
  const deleteOpen = sqlite.prepare("delete from open_trades where trade_id = ?")
  const net = sqlite.prepare(
    "insert into net_positions values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (symbol, side) do update set " +
      "size = excluded.size, entry_price = excluded.entry_price, leverage = excluded.leverage, opened_at = excluded.opened_at, " +
      "realized_pnl = excluded.realized_pnl, fees = excluded.fees, updated_at = excluded.updated_at"
  )
  return sqlite.transaction((batches: ReadonlyArray<StoreBatch>) => {
    for (const b of batches) {
      event.run(b.eventKey, b.eventType, b.at)
      for (const c of b.closes) {
        close.run(
          c.close_id, c.trade_id, c.symbol, c.side, c.entry_price, c.exit_price, c.quantity, c.realized_pnl, c.fees,
          c.opened_at, c.closed_at, c.remaining_size, c.orphan ? 1 : 0, c.over_close ? 1 : 0, c.quantity > 0 || c.orphan ? 1 : 0
        )
      }
      for (const f of b.fills) {
        fill.run(f.fill_key, f.order_id, f.fill_id, f.symbol, f.side, f.position_side, f.quantity, f.price, f.fee, f.realized_pnl, f.executed_at)
      }
      for (const t of b.upsertOpenTrades) {
        open.run(t.trade_id, t.symbol, t.side, t.entry_price, t.size, t.original_size, t.leverage, t.category, t.opened_at, t.realized_pnl, t.fees, t.updated_at)
      }
      for (const id of b.deleteOpenTrades) deleteOpen.run(id)
      for (const p of b.upsertNetPositions) {
        net.run(p.symbol, p.side, p.size, p.entry_price, p.leverage, p.opened_at, p.realized_pnl, p.fees, p.updated_at)
      }
    }
  })
}

/**
 * Events per second of `commitMany` in batches of `batchSize`, and of the bare ceiling, each on
 * its own file; rounds alternate between the two so the machine's noise hits both alike. Also
 * the process CPU time per event (user + system), which a loaded machine disturbs less than the
 * wall clock (fsync waits are not CPU time).
 */
const batchThroughput = (batchSize: number) =>
  withStores({ path: join(dir, `batches-${batchSize}-store.db`) }, ({ store }) =>
    withStores({ path: join(dir, `batches-${batchSize}-bare.db`) }, ({ db: bareDb }) =>
      Effect.gen(function*() {
        const bare = bareWriter(bareDb.sqlite)
        const rounds = 5
        const roundMs = batchSize === 1 ? 600 : 1000
        const rates = { store: [] as Array<number>, bare: [] as Array<number> }
        const cpu = { store: [] as Array<number>, bare: [] as Array<number> }
        let next = { store: 0, bare: 0 }
        const batchAt = (from: number) => Array.from({ length: batchSize }, (_, k) => mixedEvent(from + k))
        for (let round = 0; round < rounds; round++) {
          for (const side of ["store", "bare"] as const) {
            let events = 0
            let elapsed = 0
            let cpuMicros = 0
            while (elapsed < roundMs) {
              const batch = batchAt(next[side])
              next = { ...next, [side]: next[side] + batchSize }
              const cpuStart = process.cpuUsage()
              const start = performance.now()
              if (side === "store") yield* store.commitMany(batch)
              else bare.immediate(batch)
              elapsed += performance.now() - start
              const used = process.cpuUsage(cpuStart)
              cpuMicros += used.user + used.system
              events += batchSize
            }
            rates[side].push(events / (elapsed / 1000))
            cpu[side].push(cpuMicros / events)
          }
        }
        const storeRate = median(rates.store)
        const bareRate = median(rates.bare)
        record(
          `commitMany, batches of ${batchSize}, synchronous=FULL: events/s (store / bare better-sqlite3 = ratio)`,
          `${storeRate.toFixed(0)} / ${bareRate.toFixed(0)} = ${(storeRate / bareRate).toFixed(2)}`
        )
        const storeCpu = median(cpu.store)
        const bareCpu = median(cpu.bare)
        record(
          `commitMany, batches of ${batchSize}: CPU µs per event (store / bare = ratio)`,
          `${storeCpu.toFixed(1)} / ${bareCpu.toFixed(1)} = ${(storeCpu / bareCpu).toFixed(2)}`
        )
      })))

const appendThroughput = (synchronous: "FULL" | "NORMAL") =>
  withStores({ path: join(dir, `appends-${synchronous}.db`), synchronous }, ({ history }) =>
    Effect.gen(function*() {
      const maxAppends = 20_000
      const start = performance.now()
      let a = 0
      while (a < maxAppends && performance.now() - start < 2000) {
        yield* history.append(equitySample(a, 10_000 + Math.sin(a) * 100))
        a++
      }
      record(`equity appends/s, synchronous=${synchronous} (${a} appends)`, (a / ((performance.now() - start) / 1000)).toFixed(0))
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
        "@realized_pnl, @fees, @opened_at, @closed_at, @remaining_size, @orphan, @over_close, @round_trip_pnl)"
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
    let extremes = Drawdown.extremesFromColumns(db.sqlite.prepare("select * from equity_extremes").get() as never)
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
    const row = Drawdown.extremesToColumns(extremes, now - 10_000)
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
  for (const batchSize of [1, 100, 500]) yield* batchThroughput(batchSize)
  yield* appendThroughput("FULL")
  yield* appendThroughput("NORMAL")
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
