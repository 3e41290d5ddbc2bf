/**
 * The HTTP service's benchmark (`pnpm bench` in this package): the real server as a child
 * process on 127.0.0.1, measured from outside.
 *
 * - `GET /api/portfolio/snapshot` with 100 and 1 000 open positions (loaded through
 *   `POST /api/events`): autocannon (its CLI, JSON output) for 10 s at full speed, then at a
 *   fixed 5 000 requests/s; requests/s, p50 and p99 latency; also with the request log off.
 * - The end-to-end latency of an event: `POST /api/events` of a tick, then `GET` of the
 *   snapshot showing its price.
 * - Resident memory (VmRSS of /proc/<pid>/status) idle, with 1 000 positions, and with 10 000
 *   (recovered at start from a SQLite file written by the SQLite adapter: loading 10 000 through
 *   HTTP costs O(n²), every open publishing a snapshot of every position).
 *
 * Prints a markdown table; bounded loops; about a minute and a half. `pnpm bench -- --dist` runs
 * the build instead of the sources (tsx's loader adds ~80 MB of resident memory).
 */
import { SqliteStore } from "@portfolio/adapters-sqlite"
import { TradeStore } from "@portfolio/core"
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, Layer } from "effect"
import * as Http from "../test/support/Http.js"
import * as ServerProcess from "../test/support/ServerProcess.js"

/** `--dist`: run the build (`pnpm build` first) instead of the sources under tsx. */
const ENTRY: ServerProcess.Entry = process.argv.includes("--dist") ? "dist" : "source"
const start = (env: Record<string, string>) => ServerProcess.start(env, "45 seconds", ENTRY)

const AUTOCANNON = new URL("../node_modules/.bin/autocannon", import.meta.url).pathname
const SYMBOLS = 50
const rows: Array<readonly [string, string]> = []
const row = (name: string, value: string) => {
  rows.push([name, value])
  console.error(`  ${name}: ${value}`)
}

const rssMb = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return Number(line?.replace(/\D+/g, "") ?? 0) / 1024
}

const open = (i: number) => ({
  event_type: "trade.opened",
  payload: { trade_id: `B${i}`, symbol: `S${i % SYMBOLS}USDT`, side: i % 3 === 0 ? "SHORT" : "LONG", entry_price: 100 + (i % 17), quantity: 1 + (i % 5), leverage: 1 + (i % 10) }
})
const tick = (symbol: string, price: number) => ({ event_type: "market.tick", payload: { symbol, price, timestamp: new Date().toISOString() } })

/** Posts `envelopes` over a few connections at once; answers the seconds it took. */
const load = (url: string, envelopes: ReadonlyArray<unknown>) =>
  Effect.gen(function* () {
    const started = performance.now()
    yield* Effect.forEach(
      envelopes,
      (body) =>
        Effect.flatMap(Http.post(url, "/api/events", body), (a) =>
          a.status === 202 ? Effect.void : Effect.fail(new Error(`load answered ${a.status}: ${a.text}`))
        ),
      { concurrency: 4, discard: true }
    )
    return (performance.now() - started) / 1000
  })

interface Cannon {
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
}

const autocannon = (url: string, args: ReadonlyArray<string>) =>
  Effect.async<Cannon, Error>((resume) => {
    const child = execFile(AUTOCANNON, ["-j", "-d", "10", ...args, url], { maxBuffer: 16 * 2 ** 20 }, (error, stdout) => {
      if (error !== null) return resume(Effect.fail(error))
      const r = JSON.parse(stdout)
      resume(Effect.succeed({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx }))
    })
    return Effect.sync(() => child.kill())
  })

const cannonRow = (name: string, c: Cannon) =>
  row(name, `${Math.round(c.rps)} req/s, p50 ${c.p50} ms, p99 ${c.p99} ms${c.errors > 0 ? `, ${c.errors} errors` : ""}`)

const quantiles = (xs: Array<number>) => {
  const s = [...xs].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2)
  return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`
}

const snapshotUrl = (url: string) => `${url}/api/portfolio/snapshot`

/** 100 then 1 000 positions over HTTP, on memory stores. */
const overHttp = Effect.gen(function* () {
  const server = yield* start({ PORTFOLIO_TRADE_STORE_TYPE: "memory" })
  yield* Effect.sleep("1 second")
  row("RSS idle (memory stores)", `${rssMb(server.pid).toFixed(0)} MB`)

  const first = yield* load(server.url, Array.from({ length: 100 }, (_, i) => open(i)))
  yield* load(server.url, Array.from({ length: SYMBOLS }, (_, s) => tick(`S${s}USDT`, 110)))
  row("load 100 trade.opened over HTTP", `${(100 / first).toFixed(0)} events/s`)
  cannonRow("snapshot, 100 positions, 10 connections, full speed", yield* autocannon(snapshotUrl(server.url), ["-c", "10"]))
  cannonRow("snapshot, 100 positions, fixed 5 000 req/s", yield* autocannon(snapshotUrl(server.url), ["-c", "50", "-R", "5000"]))

  // End-to-end latency of an event: POST a tick, GET the snapshot, see its price.
  const total: Array<number> = []
  const ingest: Array<number> = []
  for (let i = 0; i < 300; i++) {
    const price = 120 + i / 100
    const t0 = performance.now()
    yield* Http.post(server.url, "/api/events", tick("S1USDT", price))
    const t1 = performance.now()
    const snap = yield* Http.get(server.url, "/api/portfolio/snapshot")
    if (!snap.body.positions.some((p: { symbol: string; current_price: number }) => p.symbol === "S1USDT" && p.current_price === price)) {
      return yield* Effect.fail(new Error("the tick is not in the next snapshot"))
    }
    total.push(performance.now() - t0)
    ingest.push(t1 - t0)
  }
  row("event latency: POST tick answered (100 positions)", quantiles(ingest))
  row("event latency: POST tick → visible in GET snapshot", quantiles(total))

  const more = yield* load(server.url, Array.from({ length: 900 }, (_, i) => open(100 + i)))
  row("load trades 101–1 000 over HTTP", `${(900 / more).toFixed(0)} events/s`)
  cannonRow("snapshot, 1 000 positions, 10 connections, full speed", yield* autocannon(snapshotUrl(server.url), ["-c", "10"]))
  row("RSS with 1 000 positions", `${rssMb(server.pid).toFixed(0)} MB`)
  yield* server.stop()
})

/** The request log's share: 100 positions, log off. */
const withoutLog = Effect.gen(function* () {
  const server = yield* start({ PORTFOLIO_TRADE_STORE_TYPE: "memory", PORTFOLIO_HTTP_LOG_REQUESTS: "false" })
  yield* load(server.url, Array.from({ length: 100 }, (_, i) => open(i)))
  cannonRow("snapshot, 100 positions, full speed, request log off", yield* autocannon(snapshotUrl(server.url), ["-c", "10"]))
  yield* server.stop()
})

/** 10 000 open trades written by the SQLite adapter, recovered by the service at start. */
const tenThousand = Effect.gen(function* () {
  const dir = yield* ServerProcess.tempDir
  const path = join(dir, "portfolio.db")
  const empty = yield* start({ PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "empty.db") })
  yield* Effect.sleep("1 second")
  row("RSS idle (SQLite store)", `${rssMb(empty.pid).toFixed(0)} MB`)
  yield* empty.stop()

  yield* Effect.scoped(
    Effect.gen(function* () {
      const store = yield* TradeStore
      const now = Date.now()
      for (let batch = 0; batch < 10; batch++) {
        const trades = Array.from({ length: 1000 }, (_, j) => {
          const i = batch * 1000 + j
          const { payload } = open(i)
          return {
            trade_id: payload.trade_id, symbol: payload.symbol, side: payload.side === "SHORT" ? ("SHORT" as const) : ("LONG" as const),
            entry_price: payload.entry_price, size: payload.quantity, original_size: payload.quantity, leverage: payload.leverage,
            category: null, opened_at: now + i, realized_pnl: 0, fees: 0, updated_at: now + i
          }
        })
        yield* store.commit({ eventKey: `bench:${batch}`, eventType: "trade.opened", at: now, upsertOpenTrades: trades, deleteOpenTrades: [], closes: [], fills: [], upsertNetPositions: [], deleteNetPositions: [] })
      }
    }).pipe(Effect.provide(Layer.orDie(SqliteStore.layer({ path }))))
  )
  const started = performance.now()
  const server = yield* start({ PORTFOLIO_TRADE_STORE_DB_PATH: path })
  row("start with 10 000 open trades in SQLite (spawn → listening)", `${((performance.now() - started) / 1000).toFixed(1)} s`)
  yield* load(server.url, Array.from({ length: SYMBOLS }, (_, s) => tick(`S${s}USDT`, 110)))
  const times: Array<number> = []
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now()
    const snap = yield* Http.get(server.url, "/api/portfolio/snapshot")
    if (snap.body.num_positions !== 10_000) return yield* Effect.fail(new Error(`expected 10 000 positions, got ${snap.body.num_positions}`))
    times.push(performance.now() - t0)
  }
  row("GET snapshot with 10 000 positions (one client)", quantiles(times))
  row("RSS with 10 000 positions", `${rssMb(server.pid).toFixed(0)} MB`)
  yield* server.stop()
})

const program = Effect.gen(function* () {
  console.error(`http bench: server as a child process on 127.0.0.1, from ${ENTRY === "dist" ? "dist/main.js" : "src/main.ts under tsx"} …`)
  yield* Effect.scoped(overHttp)
  yield* Effect.scoped(withoutLog)
  yield* Effect.scoped(tenThousand)
  console.log(`server run from ${ENTRY === "dist" ? "dist/main.js" : "src/main.ts under tsx (its loader adds ~80 MB of RSS; --dist runs the build)"}\n`)
  console.log("| figure | value |\n| --- | --- |")
  for (const [name, value] of rows) console.log(`| ${name} | ${value} |`)
})

Effect.runPromise(program.pipe(Effect.timeout("3 minutes"))).catch((error) => {
  console.error(error)
  process.exit(1)
})
