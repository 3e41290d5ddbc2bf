/**
 * `GET /api/portfolio/snapshot` and resident memory, the service as a child process on
 * 127.0.0.1, measured from outside:
 *
 * - the snapshot with 100 and 1 000 open positions (loaded as arrays through `POST /api/events`):
 *   autocannon (its CLI, JSON output) for 10 s at full speed, then at a fixed 5 000 requests/s;
 *   requests/s, p50 and p99 latency; also with the request log off;
 * - the end-to-end latency of an event: `POST /api/events` of a tick, then `GET` of the
 *   snapshot showing its price;
 * - resident memory (VmRSS of /proc/<pid>/status) idle, with 1 000 positions, and with 10 000
 *   (written to a SQLite file by one run, recovered at start by the next).
 */
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import * as Http from "../test/support/Http.js"
import * as ServerProcess from "../test/support/ServerProcess.js"
import * as Report from "./Report.js"

type Start = (env: Record<string, string>) => Effect.Effect<ServerProcess.ServerProcess, Error, Scope.Scope>

const AUTOCANNON = new URL("../node_modules/.bin/autocannon", import.meta.url).pathname
const SYMBOLS = 50
const row = Report.row

const rssMb = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return Number(line?.replace(/\D+/g, "") ?? 0) / 1024
}

const open = (i: number) => ({
  event_type: "trade.opened",
  payload: { trade_id: `B${i}`, symbol: `S${i % SYMBOLS}USDT`, side: i % 3 === 0 ? "SHORT" : "LONG", entry_price: 100 + (i % 17), quantity: 1 + (i % 5), leverage: 1 + (i % 10) }
})
const tick = (symbol: string, price: number) => ({ event_type: "market.tick", payload: { symbol, price, timestamp: new Date().toISOString() } })
const opens = (from: number, count: number) => Array.from({ length: count }, (_, i) => open(from + i))
const ticks = () => Array.from({ length: SYMBOLS }, (_, s) => tick(`S${s}USDT`, 110))

/** Posts `envelopes` as arrays of at most 1 000; fails unless every one is applied. */
const load = (url: string, envelopes: ReadonlyArray<unknown>) =>
  Effect.forEach(
    Array.from({ length: Math.ceil(envelopes.length / 1000) }, (_, i) => envelopes.slice(i * 1000, (i + 1) * 1000)),
    (batch) =>
      Effect.flatMap(Http.post(url, "/api/events", batch), (a) =>
        a.status === 202 && a.body.applied === batch.length ? Effect.void : Effect.fail(new Error(`load answered ${a.status}: ${a.text.slice(0, 300)}`))
      ),
    { discard: true }
  )

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
const overHttp = (start: Start) =>
  Effect.gen(function* () {
    const server = yield* start({ PORTFOLIO_TRADE_STORE_TYPE: "memory" })
    yield* Effect.sleep("1 second")
    row("RSS idle (memory stores)", `${rssMb(server.pid).toFixed(0)} MB`)

    yield* load(server.url, [...opens(0, 100), ...ticks()])
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

    yield* load(server.url, opens(100, 900))
    cannonRow("snapshot, 1 000 positions, 10 connections, full speed", yield* autocannon(snapshotUrl(server.url), ["-c", "10"]))
    row("RSS with 1 000 positions", `${rssMb(server.pid).toFixed(0)} MB`)
    yield* server.stop()
  })

/** The request log's share: 100 positions, log off. */
const withoutLog = (start: Start) =>
  Effect.gen(function* () {
    const server = yield* start({ PORTFOLIO_TRADE_STORE_TYPE: "memory", PORTFOLIO_HTTP_LOG_REQUESTS: "false" })
    yield* load(server.url, opens(0, 100))
    cannonRow("snapshot, 100 positions, full speed, request log off", yield* autocannon(snapshotUrl(server.url), ["-c", "10"]))
    yield* server.stop()
  })

/** 10 000 open trades in a SQLite file, recovered by the service at start. */
const tenThousand = (start: Start) =>
  Effect.gen(function* () {
    const dir = yield* ServerProcess.tempDir
    const env = { PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "portfolio.db") }
    const first = yield* start(env)
    yield* Effect.sleep("1 second")
    row("RSS idle (SQLite store)", `${rssMb(first.pid).toFixed(0)} MB`)
    yield* load(first.url, [...opens(0, 10_000), ...ticks()])
    yield* first.stop()

    const started = performance.now()
    const server = yield* start(env)
    row("start with 10 000 open trades in SQLite (spawn → listening)", `${((performance.now() - started) / 1000).toFixed(1)} s`)
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

/** Every snapshot and memory figure, each server in its own scope. */
export const run = (start: Start) =>
  Effect.gen(function* () {
    yield* Effect.scoped(overHttp(start))
    yield* Effect.scoped(withoutLog(start))
    yield* Effect.scoped(tenThousand(start))
  })
