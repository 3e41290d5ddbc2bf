/**
 * Benchmarks of the PostgreSQL store, each in a schema of its own (dropped at the end), on the
 * server of `PORTFOLIO_BENCH_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`):
 *
 * 1. events per second committed by `commitMany` in batches of 1, 100 and 500 events of a mixed
 *    stream (opens, partial closes, fills, final closes), beside the ceiling in the same run
 *    (DESIGN.md §10): bare `pg` writing the same rows, one transaction per batch, one multi-row
 *    `unnest` insert per table (the fastest plain way), on a schema with the same tables;
 * 2. with 1 000 000 closes stored (generated in SQL): opening the database, `realizedBuckets`
 *    (what the service reads at start), and the other reads the service makes;
 * 3. with 10 000 000 equity samples stored (generated in SQL with `generate_series`, one every
 *    10 s, ~3.2 years): the equity range of the last 7 days beside its ceiling in the same run
 *    (bare `pg` reading the same rows as arrays, and the server's part alone), `latest`,
 *    `extremes`, and appends.
 *
 * Prints a markdown table. Run: `pnpm bench adapters-postgres` (root) or
 * `pnpm --filter @portfolio/adapters-postgres bench`. `BENCH_SAMPLES` / `BENCH_CLOSES` change
 * the sizes (for a quick run); `BENCH_PARTS=reads` skips the commit throughput (`commits`).
 */
import { EquityHistory, type EquityHistoryService, type StoreBatch, TradeStore, type TradeStoreService } from "@portfolio/core"
import { equitySample } from "@portfolio/core/testing"
import { Context, Effect, Layer, Redacted } from "effect"
import pg from "pg"
import { PostgresDatabase, PostgresStore } from "../src/index.js"
import { mixedEvent } from "../test/fixtures/Events.js"

const urlText = process.env["PORTFOLIO_BENCH_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"
const url = Redacted.make(urlText)
const prefix = `pib_${process.pid}_`
const closesStored = Number(process.env["BENCH_CLOSES"] ?? 1_000_000)
const samplesStored = Number(process.env["BENCH_SAMPLES"] ?? 10_000_000)
const parts = new Set((process.env["BENCH_PARTS"] ?? "commits,reads").split(",").map((p) => p.trim()))

const rows: Array<[string, string]> = []
const record = (what: string, value: string) => {
  rows.push([what, value])
  process.stderr.write(`${what}: ${value}\n`)
}
const ms = (x: number) => (x < 10 ? `${x.toFixed(2)} ms` : `${x.toFixed(0)} ms`)
const s = (x: number) => `${(x / 1000).toFixed(1)} s`
/** The median (the lower one for an even count). */
const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number

const admin = async (text: string, values: ReadonlyArray<unknown> = []) => {
  const client = new pg.Client({ connectionString: urlText })
  await client.connect()
  try {
    return await client.query(text, [...values])
  } finally {
    await client.end()
  }
}

type Stores = { store: TradeStoreService; history: EquityHistoryService; db: PostgresDatabase.PostgresDatabaseService }

/** Runs `body` with both stores open on `schema`, closing them after. */
const withStores = <A>(options: Omit<PostgresDatabase.Options, "url">, body: (s: Stores) => Effect.Effect<A, unknown>) =>
  Effect.scoped(
    Effect.flatMap(Layer.build(PostgresStore.layer({ url, ...options })), (ctx) =>
      body({
        store: Context.get(ctx, TradeStore),
        history: Context.get(ctx, EquityHistory),
        db: Context.get(ctx, PostgresDatabase.PostgresDatabase)
      }))
  )

/**
 * Median wall time of `runs` runs of `effect`, the median client CPU time (this process, user +
 * system: what a loaded machine disturbs less), and the size of its last answer.
 */
const timeOf = <A>(runs: number, effect: Effect.Effect<A, unknown>, size: (a: A) => number) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    const cpus: Array<number> = []
    let n = 0
    for (let i = 0; i < runs; i++) {
      const cpuStart = process.cpuUsage()
      const start = performance.now()
      n = size(yield* effect)
      times.push(performance.now() - start)
      const used = process.cpuUsage(cpuStart)
      cpus.push((used.user + used.system) / 1000)
    }
    return { ms: median(times), cpu: median(cpus), n }
  })

/** `wall ms (client CPU ms)`. */
const wallAndCpu = (t: { readonly ms: number; readonly cpu: number }) => `${ms(t.ms)} (client CPU ${ms(t.cpu)})`

/**
 * The ceiling: the same rows written by hand-written SQL on one `pg` client, one transaction per
 * batch, one multi-row `unnest` insert (or upsert, or delete) per table, the last change of each
 * open trade and net position only (as a multi-row upsert must): no duplicate answers, no
 * statement preparation by name, no realized buckets, no Effect.
 */
const bareWriter = (client: pg.Client) => async (batches: ReadonlyArray<StoreBatch>) => {
  const col = <R, K extends keyof R>(records: ReadonlyArray<R>, key: K) => records.map((r) => r[key])
  const keys = batches.flatMap((b) => (b.eventKey === undefined ? [] : [b]))
  const closes = batches.flatMap((b) => b.closes)
  const fills = batches.flatMap((b) => b.fills)
  const open = new Map<string, StoreBatch["upsertOpenTrades"][number] | null>()
  const net = new Map<string, StoreBatch["upsertNetPositions"][number]>()
  for (const b of batches) {
    for (const t of b.upsertOpenTrades) open.set(t.trade_id, t)
    for (const id of b.deleteOpenTrades) open.set(id, null)
    for (const p of b.upsertNetPositions) net.set(`${p.symbol}/${p.side}`, p)
  }
  const upserts = [...open.values()].filter((t) => t !== null)
  const deletes = [...open].filter(([, t]) => t === null).map(([id]) => id)
  const positions = [...net.values()]
  await client.query("begin")
  await client.query(
    "insert into processed_events select 'bench', * from unnest($1::text[], $2::text[], $3::int8[]) on conflict do nothing",
    [keys.map((b) => b.eventKey), col(keys, "eventType"), col(keys, "at")]
  )
  if (closes.length > 0) {
    await client.query(
      "insert into closed_trades (account_id, close_id, trade_id, symbol, side, entry_price, exit_price, quantity, realized_pnl, fees, " +
        "opened_at, closed_at, remaining_size, orphan, over_close, round_trip_pnl) select 'bench', * from unnest($1::text[], $2::text[], " +
        "$3::text[], $4::text[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::int8[], $11::int8[], " +
        "$12::float8[], $13::bool[], $14::bool[], $15::float8[])",
      (["close_id", "trade_id", "symbol", "side", "entry_price", "exit_price", "quantity", "realized_pnl", "fees", "opened_at", "closed_at",
        "remaining_size", "orphan", "over_close", "round_trip_pnl"] as const).map((k) => col(closes, k))
    )
  }
  if (fills.length > 0) {
    await client.query(
      "insert into fills select 'bench', * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], " +
        "$7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::int8[])",
      (["fill_key", "order_id", "fill_id", "symbol", "side", "position_side", "quantity", "price", "fee", "realized_pnl", "executed_at"] as const)
        .map((k) => col(fills, k))
    )
  }
  if (upserts.length > 0) {
    await client.query(
      "insert into open_trades select 'bench', * from unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], " +
        "$6::float8[], $7::float8[], $8::text[], $9::int8[], $10::float8[], $11::float8[], $12::int8[]) on conflict (account_id, trade_id) " +
        "do update set symbol = excluded.symbol, side = excluded.side, entry_price = excluded.entry_price, size = excluded.size, " +
        "original_size = excluded.original_size, leverage = excluded.leverage, category = excluded.category, opened_at = excluded.opened_at, " +
        "realized_pnl = excluded.realized_pnl, fees = excluded.fees, updated_at = excluded.updated_at",
      (["trade_id", "symbol", "side", "entry_price", "size", "original_size", "leverage", "category", "opened_at", "realized_pnl", "fees",
        "updated_at"] as const).map((k) => col(upserts, k))
    )
  }
  if (deletes.length > 0) await client.query("delete from open_trades where account_id = 'bench' and trade_id = any($1::text[])", [deletes])
  if (positions.length > 0) {
    await client.query(
      "insert into net_positions select 'bench', * from unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[], " +
        "$6::int8[], $7::float8[], $8::float8[], $9::int8[]) on conflict (account_id, symbol, side) do update set size = excluded.size, " +
        "entry_price = excluded.entry_price, leverage = excluded.leverage, opened_at = excluded.opened_at, " +
        "realized_pnl = excluded.realized_pnl, fees = excluded.fees, updated_at = excluded.updated_at",
      (["symbol", "side", "size", "entry_price", "leverage", "opened_at", "realized_pnl", "fees", "updated_at"] as const)
        .map((k) => col(positions, k))
    )
  }
  await client.query("commit")
}

/**
 * Events per second of `commitMany` in batches of `batchSize`, and of the bare ceiling, each in
 * its own schema; rounds alternate between the two so the machine's noise hits both alike. Also
 * the process CPU time per event (user + system).
 */
const batchThroughput = (batchSize: number) =>
  withStores({ schema: `${prefix}store_${batchSize}`, accountId: "bench" }, ({ store }) =>
    withStores({ schema: `${prefix}bare_${batchSize}`, accountId: "bench" }, () =>
      Effect.scoped(Effect.gen(function*() {
        const client = new pg.Client({ connectionString: urlText, options: `-c search_path=${prefix}bare_${batchSize}` })
        yield* Effect.acquireRelease(Effect.promise(() => client.connect()), () => Effect.promise(() => client.end()))
        const bare = bareWriter(client)
        const rounds = 5
        const roundMs = batchSize === 1 ? 700 : 1500
        const rates = { store: [] as Array<number>, bare: [] as Array<number> }
        const cpu = { store: [] as Array<number>, bare: [] as Array<number> }
        const next = { store: 0, bare: 0 }
        const batchAt = (from: number) => Array.from({ length: batchSize }, (_, k) => mixedEvent(from + k))
        for (let round = 0; round < rounds; round++) {
          for (const side of ["store", "bare"] as const) {
            let events = 0
            let elapsed = 0
            let cpuMicros = 0
            while (elapsed < roundMs) {
              const batch = batchAt(next[side])
              next[side] += batchSize
              const cpuStart = process.cpuUsage()
              const start = performance.now()
              if (side === "store") yield* store.commitMany(batch)
              else yield* Effect.promise(() => bare(batch))
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
          `commitMany, batches of ${batchSize}: events/s (store / bare pg = ratio)`,
          `${storeRate.toFixed(0)} / ${bareRate.toFixed(0)} = ${(storeRate / bareRate).toFixed(2)}`
        )
        const storeCpu = median(cpu.store)
        const bareCpu = median(cpu.bare)
        record(
          `commitMany, batches of ${batchSize}: client CPU µs per event (store / bare = ratio)`,
          `${storeCpu.toFixed(1)} / ${bareCpu.toFixed(1)} = ${(storeCpu / bareCpu).toFixed(2)}`
        )
      }))))

const bigSchema = `${prefix}big`
const now = Date.UTC(2025, 0, 1)
const day = 86_400_000

/** Loads the closes and the samples in SQL (`generate_series`), outside the store API. */
const load = withStores({ schema: bigSchema, statementTimeoutMs: 0 }, ({ db }) =>
  Effect.promise(async () => {
    const client = await db.pool.connect()
    try {
      let start = performance.now()
      // One close every 30 s up to `now`; every close ends a round trip of ± up to 50.
      await client.query(
        `insert into closed_trades
         select 'default', 'c-' || lpad(g::text, 8, '0'), 'trade-of-c-' || g, 'ETHUSDT', 'SHORT', 3000.25, 2950.75, 1.5,
                sin(g) * 50, 0.3, $1::int8 - (($2::int8 - g) * 30000) - 60000, $1::int8 - (($2::int8 - g) * 30000),
                0, false, false, sin(g) * 50
         from generate_series(1::int8, $2::int8) as g`,
        [now, closesStored]
      )
      // Their 15-minute buckets, as the store keeps them (plain sums here: a bulk load).
      await client.query(
        `insert into realized_buckets
         select account_id, (closed_at / 900000) * 900000, sum(realized_pnl), 0, sum(fees), 0,
                sum(greatest(round_trip_pnl, 0)), 0, sum(greatest(-round_trip_pnl, 0)), 0,
                count(round_trip_pnl), count(*) filter (where round_trip_pnl > 0), count(*) filter (where round_trip_pnl < 0),
                count(*) filter (where round_trip_pnl = 0), max(round_trip_pnl), min(round_trip_pnl)
         from closed_trades group by 1, 2`
      )
      await client.query(
        `insert into open_trades select 'default', 'open-' || g, 'BTCUSDT', 'LONG', 50000.5, 0.25, 0.25, 10, 'CORE',
                $1::int8 - g * 60000, 0, 0.0125, $1::int8 - g * 60000 from generate_series(1, 1000) as g`,
        [now]
      )
      await client.query("vacuum analyze closed_trades")
      await client.query("vacuum analyze realized_buckets")
      record(`bulk load: ${closesStored.toLocaleString("en")} closes and their buckets (SQL)`, s(performance.now() - start))

      start = performance.now()
      // One sample every 10 s up to `now`: a drifting equity with noise.
      await client.query(
        `insert into equity_samples
         select 'default', g, $1::int8 - ($2::int8 - g) * 10000,
                10000 + 2000 * sin(g / 500000.0) + 50 * sin(g * 0.37), 10000 + 2000 * sin(g / 500000.0), 50 * sin(g * 0.37)
         from generate_series(1::int8, $2::int8) as g`,
        [now, samplesStored]
      )
      await client.query("vacuum analyze equity_samples")
      const loadedMs = performance.now() - start
      start = performance.now()
      // The extremes row, computed in SQL over the samples (peak: the last at the highest equity;
      // trough: the first at the lowest since it; max drawdown over the running peak).
      await client.query(
        `with peak as (
           select seq, at, equity, cash, unrealized_pnl from equity_samples where account_id = 'default'
           order by equity desc, seq desc limit 1
         ), trough as (
           select s.seq, s.at, s.equity, s.cash, s.unrealized_pnl from equity_samples s, peak
           where s.account_id = 'default' and s.seq >= peak.seq order by s.equity, s.seq limit 1
         ), drawdown as (
           select coalesce(max(case when running > 0 then least(100, greatest(0, (running - equity) / running * 100)) else 0 end), 0) as pct
           from (select equity, max(equity) over (order by seq) as running from equity_samples where account_id = 'default') r
         )
         update equity_extremes set sample_count = $1, latest_at = $2,
           peak_at = peak.at, peak_equity = peak.equity, peak_cash = peak.cash, peak_unrealized_pnl = peak.unrealized_pnl,
           trough_at = trough.at, trough_equity = trough.equity, trough_cash = trough.cash, trough_unrealized_pnl = trough.unrealized_pnl,
           max_drawdown_pct = drawdown.pct
         from peak, trough, drawdown where account_id = 'default'`,
        [samplesStored, now]
      )
      const size = await client.query<{ size: string }>("select pg_size_pretty(pg_total_relation_size('equity_samples')) as size")
      const brin = await client.query<{ size: string }>("select pg_size_pretty(pg_relation_size('equity_samples_by_at')) as size")
      record(
        `bulk load: ${samplesStored.toLocaleString("en")} equity samples (generate_series) / their extremes row (SQL)`,
        `${s(loadedMs)} / ${s(performance.now() - start)} (table + indexes ${size.rows[0]?.size}, BRIN index ${brin.rows[0]?.size})`
      )
    } finally {
      client.release()
    }
  }))

const reads = Effect.gen(function*() {
  const openStart = performance.now()
  yield* withStores({ schema: bigSchema }, ({ db, history, store }) =>
    Effect.gen(function*() {
      record("open the database (connect, checks, migrations up to date)", ms(performance.now() - openStart))
      const buckets = yield* timeOf(5, store.realizedBuckets, (r) => r.length)
      record(
        `realizedBuckets: what the service reads at start, ${closesStored.toLocaleString("en")} closes stored (${buckets.n.toLocaleString("en")} buckets)`,
        wallAndCpu(buckets)
      )
      const groupBy = yield* timeOf(3, Effect.promise(() =>
        db.pool.query(
          "select closed_at / 900000 as b, sum(realized_pnl), sum(fees), count(round_trip_pnl), max(round_trip_pnl), min(round_trip_pnl) " +
            "from closed_trades where account_id = 'default' group by 1 order by 1"
        )), (r) => r.rowCount ?? 0)
      record("for comparison: the same from the closes, GROUP BY over every close (what realized_buckets avoids)", ms(groupBy.ms))
      const open = yield* timeOf(9, store.openTrades, (r) => r.length)
      record(`openTrades (${open.n} rows)`, ms(open.ms))
      const recent = yield* timeOf(9, store.closedTrades({ from: now - day }), (r) => r.length)
      record(`closedTrades({ from: now − 1 day }) (${recent.n.toLocaleString("en")} rows)`, ms(recent.ms))
      const counts = yield* timeOf(5, store.counts, (c) => c.closes)
      record("counts (health)", ms(counts.ms))
      // The store's range beside bare pg reading the same rows (one row per sample, as arrays:
      // pg's fastest plain read) and the server's part alone (the same rows counted), rounds
      // alternating so that a loaded machine disturbs all three alike.
      const weekFrom = now - 7 * day
      const sameRows = "from equity_samples where account_id = 'default' and at >= $1"
      const bareRead = Effect.promise(() =>
        db.pool.query({ text: `select at, equity, cash, unrealized_pnl ${sameRows} order by at, seq`, values: [weekFrom], rowMode: "array" })
      )
      const serverPart = Effect.promise(() =>
        db.pool.query({ text: `select count(*) from (select at, equity, cash, unrealized_pnl ${sameRows} order by at, seq) s`, values: [weekFrom] })
      )
      const rounds = { store: [] as Array<{ ms: number; cpu: number; n: number }>, bare: [] as Array<{ ms: number; cpu: number; n: number }>, server: [] as Array<{ ms: number; cpu: number; n: number }> }
      for (let round = 0; round < 9; round++) {
        rounds.store.push(yield* timeOf(1, history.range({ from: weekFrom }), (r) => r.length))
        rounds.bare.push(yield* timeOf(1, bareRead, (r) => r.rowCount ?? 0))
        rounds.server.push(yield* timeOf(1, serverPart, () => 1))
      }
      const summary = (xs: ReadonlyArray<{ ms: number; cpu: number; n: number }>) => ({ ms: median(xs.map((x) => x.ms)), cpu: median(xs.map((x) => x.cpu)), n: xs[0]!.n })
      const week = summary(rounds.store)
      const bare = summary(rounds.bare)
      record(
        `equity range of the last 7 days (${week.n.toLocaleString("en")} of ${samplesStored.toLocaleString("en")} samples)`,
        wallAndCpu(week)
      )
      record(`  bare pg, the same ${bare.n.toLocaleString("en")} rows as arrays (store / bare = ratio)`, `${wallAndCpu(bare)}; ${(week.ms / bare.ms).toFixed(2)}`)
      record("  the server's part alone (the same rows counted)", ms(summary(rounds.server).ms))
      const plan = yield* Effect.promise(() =>
        db.pool.query<{ "QUERY PLAN": string }>(
          "explain select at, equity, cash, unrealized_pnl from equity_samples where account_id = 'default' and at >= $1 order by at, seq",
          [now - 7 * day]
        ))
      const scan = plan.rows.map((r) => r["QUERY PLAN"]).find((line) => /Scan/.test(line))?.replace(/\s*\(cost.*$/, "").replace(/^[\s>-]*/, "")
      record("  its plan", scan ?? "?")
      const latest = yield* timeOf(9, history.latest, () => 1)
      record("equity latest", ms(latest.ms))
      const extremes = yield* timeOf(9, history.extremes, (e) => e.count)
      record(`extremes (over ${extremes.n.toLocaleString("en")} samples)`, ms(extremes.ms))
      // Last: a million objects read at once leave a large heap behind, which slows what follows.
      const all = yield* timeOf(1, store.closedTrades(), (r) => r.length)
      record(`closedTrades() full read, for export (${all.n.toLocaleString("en")} rows)`, wallAndCpu(all))

      const appends = 2_000
      const appendStart = performance.now()
      for (let i = 1; i <= appends; i++) yield* history.append(equitySample(now + i * 1000, 10_000 + Math.sin(i)))
      record(`equity appends/s (${appends} appends, one transaction each)`, (appends / ((performance.now() - appendStart) / 1000)).toFixed(0))
    }))
})

const cleanup = Effect.promise(async () => {
  const left = await admin("select nspname from pg_namespace where starts_with(nspname, $1)", [prefix])
  for (const { nspname } of left.rows) await admin(`drop schema "${nspname}" cascade`)
})

const main = Effect.gen(function*() {
  const version = yield* Effect.promise(() => admin("select current_setting('server_version') as v"))
  record("PostgreSQL", `${version.rows[0]?.v} at ${PostgresDatabase.describe({ url })}`)
  if (parts.has("commits")) for (const batchSize of [1, 100, 500]) yield* batchThroughput(batchSize)
  if (parts.has("reads")) {
    yield* load
    yield* reads
  }
}).pipe(Effect.ensuring(cleanup))

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
