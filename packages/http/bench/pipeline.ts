/**
 * The pipeline benchmark (`pnpm run bench:pipeline` here; `pnpm bench http` at the root runs it
 * after `bench`): the path from Redis Streams to durable state, measured from outside on
 * 127.0.0.1, every throughput beside its ceiling in the same run (DESIGN.md §10). It starts
 * its own `redis-server` (persistence off: this measures the service, not Redis' disk) and the
 * service as a child process (`src/main.ts` under tsx; SQLite file in a temporary directory
 * on the machine's disk, `synchronous=FULL`, the default).
 *
 * - (a) ceiling: a bare ioredis loop, `XREADGROUP COUNT 500` then one `XACK` of the batch,
 *   over 100 000 pre-filled `market.tick` entries in the Python layout; run before, between
 *   and after the two (b) runs, each compared with the better of the two runs beside it. With
 *   each figure, the CPU it took per entry (the consumer's, from `/proc`, and redis-server's,
 *   from `INFO cpu`): on a loaded machine CPU time moves less than wall-clock rates.
 * - (b) the service consuming the same 100 000 entries (its own group): entries/s from the
 *   first entry its group reads until the group has nothing pending and lag 0 (`XINFO
 *   GROUPS`, polled every 5 ms), at `PORTFOLIO_REDIS_BATCH_SIZE` 500 (the ceiling's count) and
 *   at the default 100. Target ≥ 50 % of (a).
 * - (c) a mixed pre-fill (`test/support/Streams.ts` `mixed`: 30 % opens, partial and full
 *   closes, fills; 70 % ticks; 100 000 events over 4 streams) through the service, batch 500;
 *   beside two ceilings over the same entries: bare ioredis (`XREADGROUP COUNT 500` of the 4
 *   streams in one pipeline, one `XACK` per stream), and the same plus one better-sqlite3
 *   transaction (`synchronous=FULL`) per round inserting every non-tick entry. Target
 *   ≥ 15 000 events/s.
 * - (d) steady: a producer process `XADD`s `market.tick` (`MAXLEN ~ 10000`, as the Python bus)
 *   at 20 000/s for 30 s while the service consumes (default batch 100); meanwhile probe trades
 *   are opened then closed, one at a time, each `XADD`ed from here and timed until
 *   `GET /api/portfolio/snapshot` shows it (the open: the trade listed; the close: gone).
 *   Entries trimmed before they were read = ticks added − ticks the service processed
 *   (`/health`; the producer's ticks of one symbol are never out of order, so none is
 *   ignored). A probe is applied after every tick before it in the merge, so when the service
 *   falls behind its latency is the backlog's (at most ~10 000 entries, then they are trimmed)
 *   divided by the service's rate. The service's request log is off here (the polls are the
 *   measurement's own load). Target: 0 trimmed, p99 ≤ 50 ms.
 *
 * Prints a markdown table and the machine. `BENCH_ENTRIES`, `BENCH_STEADY_SECONDS`,
 * `BENCH_RATE`, `BENCH_PROBE_EVERY_MS` (100; 0: no probes) change the sizes; `--only ticks|mixed|steady` runs one part; `--dist` runs the build; `--prof` writes a
 * CPU profile of each service run (`bench/pipelineProfile.mjs`) into a directory it prints.
 */
import { RedisServer } from "@portfolio/adapters-redis/testing"
import { Effect, type Scope } from "effect"
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { cpus, loadavg, totalmem, tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Http from "../test/support/Http.js"
import * as ServerProcess from "../test/support/ServerProcess.js"
import * as Streams from "../test/support/Streams.js"
import * as Clients from "./pipelineClients.js"

const ENTRIES = Number(process.env["BENCH_ENTRIES"] ?? 100_000)
const STEADY_SECONDS = Number(process.env["BENCH_STEADY_SECONDS"] ?? 30)
const RATE = Number(process.env["BENCH_RATE"] ?? 20_000)
/** A probe trade (open, then close) starts every this many ms during the steady run (0: none). */
const PROBE_EVERY_MS = Number(process.env["BENCH_PROBE_EVERY_MS"] ?? 100)
const PROFILE = process.argv.includes("--prof")
/** `--dist`: the service from the build (`pnpm build` first) rather than the sources under tsx. */
const ENTRY: ServerProcess.Entry = process.argv.includes("--dist") ? "dist" : "source"
const profileDir = PROFILE ? mkdtempSync(join(tmpdir(), "pipeline-prof-")) : undefined
const profiler = new URL("./pipelineProfile.mjs", import.meta.url).href
const MIXED_TYPES = ["trade.opened", "order.executed", "trade.closed", "market.tick"] as const

const now = () => performance.timeOrigin + performance.now()
const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en") : "—")
const pct = (x: number) => `${(x * 100).toFixed(0)} %`
const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN
const progress = (message: string) => Effect.sync(() => process.stderr.write(`pipeline bench: ${message}\n`))
const load = () => loadavg().map((l) => l.toFixed(2)).join(" / ")
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** | figure | value | ceiling | ratio | target | met? | */
const rows: Array<readonly [string, string, string, string, string, string]> = []
const row = (figure: string, value: string, ceiling = "—", ratio = "—", target = "—", met = "—") => {
  rows.push([figure, value, ceiling, ratio, target, met])
  process.stderr.write(`  ${figure}: ${value}${ceiling === "—" ? "" : ` (ceiling ${ceiling}, ${ratio})`}\n`)
}
const yesNo = (ok: boolean) => (ok ? "yes" : "**no**")

// ---------------------------------------------------------------------------------------------

/** Appends the events' entries (Python layout), 1 000 per pipeline. */
const prefill = async (redis: Clients.RedisClient, events: ReadonlyArray<Streams.BusEvent>) => {
  for (let start = 0; start < events.length; start += 1_000) {
    const pipeline = redis.pipeline()
    for (const e of events.slice(start, start + 1_000)) pipeline.call("XADD", Streams.streamOf(e.type), "*", ...Streams.fieldsOf(e, "bench"))
    const replies = await pipeline.exec()
    const failed = (replies ?? []).find(([error]) => error !== null)
    if (failed !== undefined) throw failed[0]
  }
}

type Entries = Array<[string, Array<string>]>

/** CPU seconds redis-server has used (`INFO cpu`: user + system). */
const redisCpu = async (redis: Clients.RedisClient) => {
  const info = String(await redis.call("INFO", "cpu"))
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, "m").exec(info)?.[1] ?? NaN)
  return field("used_cpu_user") + field("used_cpu_sys")
}

/** CPU seconds a process has used (user + system, `/proc/<pid>/stat`, in ticks of 10 ms). */
const processCpu = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** A throughput and the CPU it took per entry: the consumer's and redis-server's, µs. */
interface Measured {
  readonly rate: number
  readonly cpuUs: number
  readonly redisUs: number
}

const cpuText = (m: Measured, who: string) => `${who} CPU ${m.cpuUs.toFixed(1)} µs/entry, redis-server ${m.redisUs.toFixed(1)} µs/entry`

/**
 * The ceiling: `XREADGROUP COUNT 500` of every stream of `types` (one pipeline), then one
 * `XACK` per stream (one pipeline) — and, with `db`, one transaction inserting every non-tick
 * entry before the acknowledgement — until every stream is read; entries/s.
 */
const bareLoop = async (redis: Clients.RedisClient, types: ReadonlyArray<string>, group: string, total: number, db?: Clients.SqliteDatabase): Promise<Measured> => {
  for (const type of types) await redis.call("XGROUP", "CREATE", Streams.streamOf(type), group, "0", "MKSTREAM")
  const insert = db?.prepare("INSERT INTO events (id, event_type, payload) VALUES (?, ?, ?)")
  const commit = db?.transaction((rows: ReadonlyArray<readonly [string, string, string]>) => {
    for (const r of rows) insert!.run(...r)
  })
  const redis0 = await redisCpu(redis)
  const cpu0 = process.cpuUsage()
  const started = now()
  let read = 0
  for (;;) {
    const reads = redis.pipeline()
    for (const type of types) reads.call("XREADGROUP", "GROUP", group, "bare", "COUNT", 500, "STREAMS", Streams.streamOf(type), ">")
    const replies = (await reads.exec()) ?? []
    const acks = redis.pipeline()
    const rows: Array<readonly [string, string, string]> = []
    let got = 0
    replies.forEach(([error, reply], i) => {
      if (error !== null) throw error
      const entries = ((reply as Array<[string, Entries]> | null)?.[0]?.[1] ?? [])
      if (entries.length === 0) return
      got += entries.length
      const type = types[i]!
      if (commit !== undefined && type !== "market.tick") {
        for (const [id, fields] of entries) rows.push([`${type}:${id}`, type, fields[fields.indexOf("payload") + 1]!])
      }
      acks.call("XACK", Streams.streamOf(type), group, ...entries.map(([id]) => id))
    })
    if (got === 0) break
    if (commit !== undefined && rows.length > 0) commit(rows)
    await acks.exec()
    read += got
  }
  const seconds = (now() - started) / 1000
  const cpu = process.cpuUsage(cpu0)
  const redisSeconds = (await redisCpu(redis)) - redis0
  if (read !== total) throw new Error(`bare loop read ${read} of ${total}`)
  return { rate: total / seconds, cpuUs: (cpu.user + cpu.system) / total, redisUs: (redisSeconds * 1e6) / total }
}

const record = (flat: ReadonlyArray<unknown>): Record<string, unknown> => {
  const r: Record<string, unknown> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) r[String(flat[i])] = flat[i + 1]
  return r
}

/** The service's groups of `types`: entries read, pending, lag (null when unknown). */
const groups = async (redis: Clients.RedisClient, service: string, types: ReadonlyArray<string>) => {
  const pipeline = redis.pipeline()
  for (const type of types) pipeline.call("XINFO", "GROUPS", Streams.streamOf(type))
  const replies = (await pipeline.exec()) ?? []
  return types.map((type, i) => {
    const [, reply] = replies[i]!
    const g = ((reply as Array<Array<unknown>> | null) ?? []).map(record).find((g) => g["name"] === `quantum:group:${service}:${type}`)
    return g === undefined
      ? { read: 0, pending: 0, lag: null as number | null, exists: false }
      : { read: Number(g["entries-read"] ?? 0), pending: Number(g["pending"]), lag: g["lag"] === null ? null : Number(g["lag"]), exists: true }
  })
}

/**
 * Entries/s of the service's consumption of `total` pre-filled entries: from the first poll
 * that sees its groups read anything to the first that sees them all read, acknowledged
 * (pending 0) and caught up (lag 0); what was acknowledged at the first poll is left out.
 */
const consumption = async (redis: Clients.RedisClient, service: string, pid: number, types: ReadonlyArray<string>, total: number) => {
  const deadline = now() + 300_000
  let t0 = 0
  let acked0 = 0
  let cpu0 = 0
  let redis0 = 0
  for (;;) {
    if (now() > deadline) throw new Error(`the service did not start consuming within 300 s`)
    const gs = await groups(redis, service, types)
    if (gs.some((g) => g.read > 0)) {
      t0 = now()
      cpu0 = processCpu(pid)
      redis0 = await redisCpu(redis)
      acked0 = gs.reduce((s, g) => s + g.read - g.pending, 0)
      break
    }
    await sleep(5)
  }
  for (;;) {
    if (now() > deadline) throw new Error(`the service did not consume ${total} entries within 300 s`)
    const gs = await groups(redis, service, types)
    const read = gs.reduce((s, g) => s + g.read, 0)
    if (read >= total && gs.every((g) => g.pending === 0 && (g.lag === 0 || !g.exists))) {
      const seconds = (now() - t0) / 1000
      const n = total - acked0
      return { rate: n / seconds, seconds, acked0, cpuUs: ((processCpu(pid) - cpu0) * 1e6) / n, redisUs: (((await redisCpu(redis)) - redis0) * 1e6) / n }
    }
    await sleep(5)
  }
}

/** The service as a child process for the life of the scope, its database in a fresh directory. */
const service = (port: number, name: string, env: Record<string, string>): Effect.Effect<ServerProcess.ServerProcess, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const dir = yield* ServerProcess.tempDir
    return yield* ServerProcess.start(
      {
        PORTFOLIO_REDIS_URL: `redis://127.0.0.1:${port}`,
        PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "portfolio.db"),
        PORTFOLIO_SERVICE_NAME: name,
        ...(profileDir === undefined ? {} : { NODE_OPTIONS: `--import=${profiler}`, PIPELINE_PROFILE_OUT: join(profileDir, `${name}.cpuprofile`) }),
        ...env
      },
      "120 seconds",
      ENTRY
    )
  })

/** Runs the service named `name` over what is in Redis until consumed; stops it; entries/s. */
const serviceRun = (port: number, redis: Clients.RedisClient, name: string, types: ReadonlyArray<string>, total: number, env: Record<string, string>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const server = yield* service(port, name, env)
      const result = yield* Effect.promise(() => consumption(redis, name, server.pid, types, total))
      const h = (yield* Http.get(server.url, "/health")).body
      yield* server.stop("SIGTERM")
      return { ...result, events: h.events }
    })
  )

// ---------------------------------------------------------------------------------------------

const ticksPart = (server: RedisServer.RedisServer, redis: Clients.RedisClient) =>
  Effect.gen(function* () {
    yield* Effect.promise(() => redis.call("FLUSHALL"))
    yield* Effect.promise(() => prefill(redis, Streams.ticks(ENTRIES)))
    yield* progress(`pre-filled ${int(ENTRIES)} market.tick entries`)
    // The ceiling runs before and after each service run; each service run is compared with the
    // better of the two beside it (the machine's load changes from minute to minute).
    const a1 = yield* Effect.promise(() => bareLoop(redis, ["market.tick"], "bare-1", ENTRIES))
    yield* progress(`(a) bare loop: ${int(a1.rate)}/s; ${cpuText(a1, "client")}`)
    const b500 = yield* serviceRun(server.port, redis, "svc_ticks_500", ["market.tick"], ENTRIES, { PORTFOLIO_REDIS_BATCH_SIZE: "500" })
    yield* progress(`(b) service, batch 500: ${int(b500.rate)}/s in ${b500.seconds.toFixed(1)} s; ${cpuText(b500, "service")}`)
    const a2 = yield* Effect.promise(() => bareLoop(redis, ["market.tick"], "bare-2", ENTRIES))
    yield* progress(`(a) bare loop again: ${int(a2.rate)}/s; ${cpuText(a2, "client")}`)
    const b100 = yield* serviceRun(server.port, redis, "svc_ticks_100", ["market.tick"], ENTRIES, {})
    yield* progress(`(b) service, batch 100: ${int(b100.rate)}/s in ${b100.seconds.toFixed(1)} s; ${cpuText(b100, "service")}`)
    const a3 = yield* Effect.promise(() => bareLoop(redis, ["market.tick"], "bare-3", ENTRIES))
    yield* progress(`(a) bare loop once more: ${int(a3.rate)}/s; ${cpuText(a3, "client")}`)
    const better = (x: Measured, y: Measured) => (x.rate >= y.rate ? x : y)
    const a = better(a1, a2)
    const aNext = better(a2, a3)
    row(`(a) ceiling: bare ioredis XREADGROUP COUNT 500 + one XACK per batch, ${int(ENTRIES)} market.tick (runs before, between and after the two (b): ${int(a1.rate)}, ${int(a2.rate)}, ${int(a3.rate)}); ${cpuText(a, "client")}`, `${int(a.rate)}/s`)
    row(`(b) service consuming the same entries, PORTFOLIO_REDIS_BATCH_SIZE=500, until pending 0 and lag 0; ${cpuText(b500, "service")}`, `${int(b500.rate)}/s`, `${int(a.rate)}/s`, pct(b500.rate / a.rate), "≥ 50 %", yesNo(b500.rate / a.rate >= 0.5))
    row(`(b) the same at the default batch 100; ${cpuText(b100, "service")}`, `${int(b100.rate)}/s`, `${int(aNext.rate)}/s`, pct(b100.rate / aNext.rate), "(≥ 50 %)", yesNo(b100.rate / aNext.rate >= 0.5))
    row(
      `(b) by CPU time (less disturbed by a loaded machine): bare client + redis-server µs/entry ÷ service + redis-server µs/entry, batch 500`,
      `${(b500.cpuUs + b500.redisUs).toFixed(1)} µs/entry`,
      `${(a.cpuUs + a.redisUs).toFixed(1)} µs/entry`,
      pct((a.cpuUs + a.redisUs) / (b500.cpuUs + b500.redisUs)),
      "(≥ 50 %)",
      yesNo((a.cpuUs + a.redisUs) / (b500.cpuUs + b500.redisUs) >= 0.5)
    )
  })

const mixedPart = (server: RedisServer.RedisServer, redis: Clients.RedisClient) =>
  Effect.gen(function* () {
    yield* Effect.promise(() => redis.call("FLUSHALL"))
    yield* Effect.promise(() => prefill(redis, Streams.mixed(ENTRIES, { prefix: "m" })))
    yield* progress(`pre-filled ${int(ENTRIES)} mixed entries`)
    const bare = yield* Effect.promise(() => bareLoop(redis, MIXED_TYPES, "bare-mixed", ENTRIES))
    const dir = mkdtempSync(join(tmpdir(), "pipeline-bench-sqlite-"))
    const db = Clients.sqlite(join(dir, "ceiling.db"))
    db.exec("CREATE TABLE events (id TEXT PRIMARY KEY, event_type TEXT NOT NULL, payload TEXT NOT NULL)")
    const bareSqlite = yield* Effect.promise(() => bareLoop(redis, MIXED_TYPES, "bare-mixed-sqlite", ENTRIES, db))
    db.close()
    rmSync(dir, { recursive: true, force: true })
    yield* progress(`(c) ceilings: redis ${int(bare.rate)}/s, redis + sqlite ${int(bareSqlite.rate)}/s`)
    const c = yield* serviceRun(server.port, redis, "svc_mixed_500", MIXED_TYPES, ENTRIES, { PORTFOLIO_REDIS_BATCH_SIZE: "500" })
    yield* progress(`(c) service: ${int(c.rate)}/s in ${c.seconds.toFixed(1)} s; ${cpuText(c, "service")}; ${JSON.stringify(c.events)}`)
    const processed = Object.values(c.events.processed as Record<string, number>).reduce((s, n) => s + n, 0)
    row(`(c) ceiling: bare ioredis, XREADGROUP COUNT 500 of the 4 streams in one pipeline + one XACK per stream, ${int(ENTRIES)} mixed; ${cpuText(bare, "client")}`, `${int(bare.rate)}/s`)
    row(`(c) ceiling: the same + one better-sqlite3 transaction (synchronous=FULL) per round inserting the 30 % non-tick entries; ${cpuText(bareSqlite, "client")}`, `${int(bareSqlite.rate)}/s`)
    row(
      `(c) service, mixed (30 % opens/closes/fills, 70 % ticks; ${int(processed)} applied, ${int(c.events.parked_closes)} parked, ${int(c.events.orphan_closes)} orphans), batch 500, SQLite FULL; ${cpuText(c, "service")}`,
      `${int(c.rate)}/s`,
      `${int(bareSqlite.rate)}/s`,
      pct(c.rate / bareSqlite.rate),
      "≥ 15 000/s",
      yesNo(c.rate >= 15_000)
    )
  })

const produce = (port: number, rate: number, seconds: number) =>
  Effect.async<{ readonly sent: number; readonly seconds: number; readonly behindMs: number }, Error>((resume) => {
    const producer = fileURLToPath(new URL("./pipelineProducer.ts", import.meta.url))
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", producer, String(port), String(rate), String(seconds)], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let out = ""
    child.stdout.on("data", (chunk) => (out += chunk))
    child.on("exit", (code) => resume(code === 0 ? Effect.succeed(JSON.parse(out)) : Effect.fail(new Error(`producer exited with ${code}`))))
    return Effect.sync(() => child.kill())
  })

const ticksProcessed = (url: string) => Effect.map(Http.get(url, "/health"), (a) => Number(a.body.events.processed["market.tick"] ?? 0))

/**
 * Polls the snapshot every 2 ms (not back to back: the polls would take the service's one
 * thread from the consumption being measured) until `seen(text)`, at most 5 s; the time it
 * was seen, or NaN.
 */
const pollUntil = async (url: string, seen: (text: string) => boolean) => {
  const deadline = now() + 5_000
  while (now() < deadline) {
    const text = await (await fetch(`${url}/api/portfolio/snapshot`)).text()
    if (seen(text)) return now()
    await sleep(2)
  }
  return NaN
}

const steadyPart = (server: RedisServer.RedisServer, redis: Clients.RedisClient) =>
  Effect.scoped(
    Effect.gen(function* () {
      yield* Effect.promise(() => redis.call("FLUSHALL"))
      const svc = yield* service(server.port, "svc_steady", { PORTFOLIO_HTTP_LOG_REQUESTS: "false" })
      // Its groups exist once it reads: wait for them, so no tick is written before.
      yield* Effect.promise(async () => {
        for (let i = 0; i < 1_000; i++) {
          if ((await groups(redis, "svc_steady", ["market.tick", "trade.opened", "trade.closed"])).every((g) => g.exists)) return
          await sleep(20)
        }
        throw new Error("the service did not create its groups within 20 s")
      })
      const before = yield* ticksProcessed(svc.url)
      const probeClient = Clients.redis(server.port)
      const latencies: Array<number> = []
      let misses = 0
      let stop = false
      const pythonNow = () => new Date().toISOString().replace("Z", "000")
      const probes = (async () => {
        await sleep(1_000)
        for (let n = 0; !stop && PROBE_EVERY_MS > 0; n++) {
          const slot = now()
          const id = `probe-${n}`
          const opened = now()
          await probeClient.call("XADD", "quantum:stream:trade.opened", "MAXLEN", "~", "10000", "*", "event_type", "trade.opened",
            "payload", JSON.stringify({ trade_id: id, symbol: "PROBEUSDT", side: "LONG", entry_price: 100, quantity: 1, leverage: 1, timestamp: pythonNow() }),
            "trace_id", "", "timestamp", pythonNow(), "source", "bench_probe")
          const openSeen = await pollUntil(svc.url, (t) => t.includes(`"${id}"`))
          if (Number.isNaN(openSeen)) misses++
          else latencies.push(openSeen - opened)
          const closed = now()
          await probeClient.call("XADD", "quantum:stream:trade.closed", "MAXLEN", "~", "10000", "*", "event_type", "trade.closed",
            "payload", JSON.stringify({ trade_id: id, exit_price: 100, close_id: `${id}-c`, timestamp: pythonNow() }),
            "trace_id", "", "timestamp", pythonNow(), "source", "bench_probe")
          const closeSeen = await pollUntil(svc.url, (t) => !t.includes(`"${id}"`))
          if (Number.isNaN(closeSeen)) misses++
          else latencies.push(closeSeen - closed)
          const wait = slot + PROBE_EVERY_MS - now()
          if (wait > 0) await sleep(wait)
        }
      })()
      const report = yield* produce(server.port, RATE, STEADY_SECONDS)
      stop = true
      yield* Effect.promise(() => probes)
      probeClient.disconnect()
      // Settle: until the service has read everything (or nothing moved for 5 s).
      let last = -1
      let movedAt = now()
      let after = before
      for (;;) {
        after = yield* ticksProcessed(svc.url)
        const [g] = yield* Effect.promise(() => groups(redis, "svc_steady", ["market.tick"]))
        if (g!.pending === 0 && g!.lag === 0) break
        if (after !== last) [last, movedAt] = [after, now()]
        if (now() - movedAt > 5_000) break
        yield* Effect.sleep("50 millis")
      }
      const info = record((yield* Effect.promise(() => redis.call("XINFO", "STREAM", "quantum:stream:market.tick"))) as Array<unknown>)
      const added = Number(info["entries-added"])
      const processed = after - before
      const trimmed = added - processed
      const sorted = [...latencies].sort((a, b) => a - b)
      const p50 = percentile(sorted, 0.5)
      const p99 = percentile(sorted, 0.99)
      yield* progress(`(d) sent ${int(report.sent)} in ${report.seconds.toFixed(1)} s (at most ${report.behindMs.toFixed(0)} ms behind), added ${int(added)}, processed ${int(processed)}; ${latencies.length} probe samples, ${misses} misses`)
      row(
        `(d) steady: a producer process XADDs market.tick (MAXLEN ~ 10000) at ${int(RATE)}/s for ${STEADY_SECONDS} s (achieved ${int(report.sent / report.seconds)}/s) while the service consumes (batch 100): entries trimmed before read (added − processed per /health)`,
        `${int(Math.max(0, trimmed))} of ${int(added)}`,
        "—",
        "—",
        "0",
        yesNo(trimmed <= 0)
      )
      row(
        `(d) during it, XADD → visible in GET /api/portfolio/snapshot, probe trades opened then closed one at a time (${sorted.length} samples${misses > 0 ? `, ${misses} not seen within 5 s` : ""}; polled every 2 ms)`,
        `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`,
        "—",
        "—",
        "p99 ≤ 50 ms",
        yesNo(misses === 0 && p99 <= 50)
      )
      yield* svc.stop("SIGTERM")
    })
  )

const main = Effect.gen(function* () {
  const loadBefore = load()
  const started = now()
  const server = yield* RedisServer.start({ args: ["--appendonly", "no", "--save", ""] })
  const redis = Clients.redis(server.port)
  yield* Effect.addFinalizer(() => Effect.sync(() => redis.disconnect()))
  const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined
  if (only === undefined || only === "ticks") yield* ticksPart(server, redis)
  if (only === undefined || only === "mixed") yield* mixedPart(server, redis)
  if (only === undefined || only === "steady") yield* steadyPart(server, redis)
  const cpu = cpus()
  console.log(`\n| pipeline: Redis Streams → service → SQLite | value | ceiling | ratio | target | met? |`)
  console.log(`| --- | --- | --- | --- | --- | --- |`)
  for (const r of rows) console.log(`| ${r.join(" | ")} |`)
  console.log(
    `\nmachine: ${cpu[0]?.model ?? "unknown cpu"}, ${cpu.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}; ` +
      `load average (1/5/15 min) ${loadBefore} before → ${load()} after; ${((now() - started) / 1000).toFixed(0)} s`
  )
  console.log(`command: cd packages/http && pnpm run bench:pipeline${ENTRY === "dist" ? " -- --dist" : ""}   (service from ${ENTRY === "dist" ? "dist/main.js" : "src/main.ts under tsx"}; redis-server ${server.port}, persistence off)`)
  if (profileDir !== undefined) console.log(`CPU profiles of the service runs: ${profileDir}`)
}).pipe(Effect.scoped)

Effect.runPromise(main.pipe(Effect.timeout("20 minutes"))).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
