/**
 * Ingest throughput of `POST /api/events`, beside its ceiling in the same run with the same
 * client and the same bodies (DESIGN.md §10): wrk (`bench/ingest.lua`: fresh opens, closes and
 * ticks on every request) for 10 s against
 *
 * - the service as a child process on its embedded defaults (SQLite file in a temporary
 *   directory, every commit fsynced; in-process bus; paper cash; request log on), and
 * - a bare `node:http` server that reads the same bodies and answers 202 with a JSON body of
 *   the size the service answers (`bench/Ceiling.ts`),
 *
 * (a) arrays of 1 000 envelopes from 8 connections, (b) one envelope per request from 32.
 * Beside each rate, the server's CPU time per event (user + system, from /proc): on a shared,
 * loaded machine the rates follow the load; the CPU cost much less.
 */
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import * as Http from "../test/support/Http.js"
import * as ServerProcess from "../test/support/ServerProcess.js"
import * as Report from "./Report.js"
import * as Wrk from "./Wrk.js"

const SECONDS = 10

/** One load: how many events per request, over how many connections, and the target. */
interface Load {
  readonly name: string
  readonly batch: number
  readonly connections: number
  readonly target: number
}

const LOADS: ReadonlyArray<Load> = [
  { name: "arrays of 1 000 tick/trade envelopes, 8 connections", batch: 1000, connections: 8, target: 50_000 },
  { name: "one envelope per request, 32 connections", batch: 1, connections: 32, target: 10_000 }
]

/** Runs wrk with `ingest.lua` and measures the CPU the server `pid` spent meanwhile. */
const measure = (url: string, pid: number, load: Load) =>
  Effect.gen(function* () {
    const before = Wrk.cpuSeconds(pid)
    const result = yield* Wrk.wrk(`${url}/api/events`, { connections: load.connections, seconds: SECONDS, script: "ingest.lua", env: { BATCH: String(load.batch) } })
    return { ...result, cpu: Wrk.cpuSeconds(pid) - before }
  })

const eventsPerSecond = (w: Wrk.Wrk, batch: number) => Wrk.rate(w) * batch
const errorsOf = Wrk.errorsOf

/** A sample body of the load's shape (ids of their own), to measure the size of the answers. */
const sample = (batch: number, tag: string): unknown => {
  const envelope = (i: number) =>
    i % 4 === 0
      ? { event_type: "trade.opened", source: "bench", payload: { trade_id: `${tag}${i}`, symbol: `S${i % 50}USDT`, side: "LONG", entry_price: 100, quantity: 1, leverage: 2 } }
      : i % 4 === 2
      ? { event_type: "trade.closed", source: "bench", payload: { trade_id: `${tag}${i - 2}`, exit_price: 101 } }
      : { event_type: "market.tick", source: "bench", payload: { symbol: `S${i % 50}USDT`, price: 100 + (i % 1000) / 100 } }
  return batch === 1 ? envelope(0) : Array.from({ length: batch }, (_, i) => envelope(i))
}

/** Measures each load against the service (started by `start`) and against the ceiling. */
export const run = (start: (env: Record<string, string>) => Effect.Effect<ServerProcess.ServerProcess, Error, Scope.Scope>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const dir = yield* ServerProcess.tempDir
      const service = yield* start({ PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "portfolio.db") })
      const sizes = { array: 0, single: 0 }
      for (const [key, batch] of [["array", 1000], ["single", 1]] as const) {
        const answer = yield* Http.post(service.url, "/api/events", sample(batch, `sample-${key}-`))
        if (answer.status !== 202) return yield* Effect.fail(new Error(`sample ${key} answered ${answer.status}: ${answer.text.slice(0, 300)}`))
        sizes[key] = Buffer.byteLength(answer.text)
      }
      const measured: Array<Wrk.Wrk & { readonly cpu: number }> = []
      for (const load of LOADS) measured.push(yield* measure(service.url, service.pid, load))
      const health = (yield* Http.get(service.url, "/health")).body
      yield* service.stop()

      const bare = yield* Wrk.ceiling({ CEILING_ARRAY_BYTES: String(sizes.array), CEILING_SINGLE_BYTES: String(sizes.single) })
      for (const [i, load] of LOADS.entries()) {
        const top = yield* measure(bare.url, bare.pid, load)
        const ours = measured[i]!
        const rate = eventsPerSecond(ours, load.batch)
        const limit = eventsPerSecond(top, load.batch)
        const errors = errorsOf(ours) + errorsOf(top)
        const cpuPerEvent = (w: typeof ours) => {
          const us = (w.cpu / (w.requests * load.batch)) * 1e6
          return `${us < 10 ? us.toFixed(1) : us.toFixed(0)} µs`
        }
        Report.row(
          `ingest, ${load.name} (target ≥ ${load.target.toLocaleString("en-US")} events/s)`,
          `${Math.round(rate).toLocaleString("en-US")} events/s, p50 ${(ours.p50_us / 1000).toFixed(1)} ms, p99 ${(ours.p99_us / 1000).toFixed(1)} ms, ` +
            `CPU ${cpuPerEvent(ours)}/event; ceiling ${Math.round(limit).toLocaleString("en-US")} events/s, CPU ${cpuPerEvent(top)}/event; ` +
            `ratio ${(rate / limit).toFixed(2)}${errors > 0 ? `; ${errors} errors` : ""}`
        )
      }
      const processed = Object.values(health?.events?.processed ?? {}).reduce((a: number, b) => a + Number(b), 0)
      Report.row("ingest: events the service processed in all", processed.toLocaleString("en-US"))
    })
  )
