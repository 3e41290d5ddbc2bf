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
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect, type Scope } from "effect"
import * as Http from "../test/support/Http.js"
import * as ServerProcess from "../test/support/ServerProcess.js"
import { waitFor } from "../test/support/WaitFor.js"
import * as Report from "./Report.js"

const here = new URL(".", import.meta.url).pathname
const SCRIPT = join(here, "ingest.lua")
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

interface Wrk {
  readonly requests: number
  readonly duration_us: number
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly status: number; readonly timeout: number }
  readonly p50_us: number
  readonly p99_us: number
}

const wrk = (url: string, load: Load) =>
  Effect.async<Wrk, Error>((resume) => {
    const args = ["-t", "1", "-c", String(load.connections), "-d", `${SECONDS}s`, "--timeout", "30s", "-s", SCRIPT, `${url}/api/events`]
    const child = execFile("wrk", args, { env: { ...process.env, BATCH: String(load.batch) }, maxBuffer: 2 ** 20 }, (error, stdout, stderr) => {
      if (error !== null) {
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT"
        return resume(Effect.fail(missing ? new Error("wrk is not installed: apt-get install -y wrk") : new Error(`wrk failed: ${stderr}`)))
      }
      const line = stdout.split("\n").find((l) => l.startsWith("{"))
      if (line === undefined) return resume(Effect.fail(new Error(`wrk printed no summary:\n${stdout}`)))
      resume(Effect.succeed(JSON.parse(line) as Wrk))
    })
    return Effect.sync(() => child.kill())
  })

/** CPU seconds (user + system) the process `pid` has used so far. */
const cpuSeconds = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

/** Runs wrk and measures the CPU the server `pid` spent meanwhile. */
const measure = (url: string, pid: number, load: Load) =>
  Effect.gen(function* () {
    const before = cpuSeconds(pid)
    const result = yield* wrk(url, load)
    return { ...result, cpu: cpuSeconds(pid) - before }
  })

const eventsPerSecond = (w: Wrk, batch: number) => (w.requests * batch) / (w.duration_us / 1e6)
const errorsOf = (w: Wrk) => Object.values(w.errors).reduce((a, b) => a + b, 0)

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

/** The ceiling server as a child process, answering bodies of the given sizes. */
const ceiling = (sizes: { readonly array: number; readonly single: number }) =>
  Effect.gen(function* () {
    let text = ""
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const c = spawn(process.execPath, ["--import", "tsx", join(here, "Ceiling.ts")], {
          env: { ...process.env, CEILING_ARRAY_BYTES: String(sizes.array), CEILING_SINGLE_BYTES: String(sizes.single) },
          stdio: ["ignore", "pipe", "inherit"]
        })
        c.stdout!.setEncoding("utf8").on("data", (d: string) => (text += d))
        return c
      }),
      (c: ChildProcess) => Effect.sync(() => c.kill())
    )
    const port = yield* waitFor(Effect.sync(() => /listening on (\d+)/.exec(text)?.[1]), (p) => p !== undefined, "the ceiling server")
    return { url: `http://127.0.0.1:${port}`, pid: child.pid! }
  })

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
      const measured: Array<Wrk & { readonly cpu: number }> = []
      for (const load of LOADS) measured.push(yield* measure(service.url, service.pid, load))
      const health = (yield* Http.get(service.url, "/health")).body
      yield* service.stop()

      const bare = yield* ceiling(sizes)
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
