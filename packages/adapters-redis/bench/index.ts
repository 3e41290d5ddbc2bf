/**
 * Benchmarks of the Redis event bus against a local redis-server it starts (persistence off:
 * this measures the bus, not the disk), each throughput beside its ceiling in the same run
 * (DESIGN.md §10):
 * - (a) the ceiling: a bare ioredis loop over 100 000 pre-filled `market.tick` entries,
 *   `XREADGROUP COUNT 500` then one `XACK` of the batch;
 * - (b) the bus's `subscribe` over the same entries (another group), one `ackAll` per chunk,
 *   at batch 500 (the default) and 100 (beside a bare loop at COUNT 100); no decoding (that is
 *   the service's work);
 * - (c) a mixed pre-fill over 4 streams (30 % opens, closes and fills, 70 % ticks) through the
 *   ordered merge, batch 500;
 * taken in turns of 10 000 entries each (so that all run under the same load of this shared
 *   machine), reported with their ratio to (a);
 * - a steady run: a producer process `XADD`s `market.tick` at 20 000/s for 10 s
 *   (`MAXLEN ~ 10000`) while the bus is subscribed: entries trimmed before they were read,
 *   and p50/p99 from `XADD` to delivery; beside the same run read by a bare
 *   `XREADGROUP COUNT 500 BLOCK` + `XACK` loop.
 * The bus reads one round ahead of its consumer; in the turns of (b) and (c) that round is
 * read while the consumer waits for its turn (about 5 % of a turn at batch 500).
 * Run: pnpm bench adapters-redis (or pnpm --filter @portfolio/adapters-redis bench);
 * BENCH_ENTRIES and BENCH_SEGMENT change the size and the turns.
 */
import { EventBus, type EventBusService } from "@portfolio/core"
import { Chunk, Context, Deferred, Effect, Fiber, Layer, Queue, Redacted, Stream } from "effect"
import { Redis } from "ioredis"
import { spawn } from "node:child_process"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { RedisEventBus } from "../src/index.js"
import { RedisServer } from "../src/testing/index.js"

const now = () => performance.timeOrigin + performance.now()
const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN
const int = (n: number) => Math.round(n).toLocaleString("en")
const progress = (message: string) => Effect.sync(() => process.stderr.write(`bench: ${message}\n`))
const rows: Array<[string, string]> = []
const load = () => loadavg().map((l) => l.toFixed(2)).join(" / ")

/** The fields of an entry as the Python bus writes it. */
const pythonEntry = (eventType: string, payload: Record<string, unknown>): Array<string> => [
  "event_type", eventType,
  "payload", JSON.stringify(payload),
  "trace_id", "",
  "timestamp", "2025-01-02T03:04:05.123456",
  "source", "bench"
]

/** Appends `total` entries, the type of each from `typeOf(n)`, in pipelines of 1 000. */
const prefill = (redis: Redis, prefix: string, total: number, typeOf: (n: number) => string) =>
  Effect.promise(async () => {
    for (let start = 0; start < total; start += 1_000) {
      const pipeline = redis.pipeline()
      for (let n = start; n < Math.min(total, start + 1_000); n++) {
        const type = typeOf(n)
        pipeline.xadd(`${prefix}${type}`, "*", ...pythonEntry(type, { symbol: `SYM${n % 50}USDT`, price: 100 + (n % 997) / 10, trade_id: `t-${n}` }))
      }
      await pipeline.exec()
    }
  })

/**
 * A reader of pre-filled entries that consumes on request: `segment(n)` reads and acknowledges
 * about `n` entries more and says how many it took and how long.
 */
interface Contender {
  readonly segment: (quota: number) => Effect.Effect<{ readonly entries: number; readonly millis: number }>
}

/** (a) The ceiling: XREADGROUP COUNT 500 + one XACK per batch. */
const bareContender = (redis: Redis, key: string, group: string, count = 500) =>
  Effect.promise(async (): Promise<Contender> => {
    await redis.xgroup("CREATE", key, group, "0")
    return {
      segment: (quota) =>
        Effect.promise(async () => {
          const started = now()
          let read = 0
          while (read < quota) {
            const reply = (await redis.xreadgroup("GROUP", group, "bare", "COUNT", count, "STREAMS", key, ">")) as
              | Array<[string, Array<[string, Array<string>]>]>
              | null
            const entries = reply?.[0]?.[1] ?? []
            if (entries.length === 0) break
            await redis.xack(key, group, ...entries.map(([id]) => id))
            read += entries.length
          }
          return { entries: read, millis: now() - started }
        })
    }
  })

/**
 * (b), (c) The bus: one subscription, `ackAll` per chunk; between segments its consumer waits,
 * so its reader does not read ahead (it reads when the consumer pulls).
 */
const busContender = (bus: EventBusService, types: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const requests = yield* Queue.unbounded<{ readonly quota: number; readonly done: Deferred.Deferred<{ entries: number; millis: number }> }>()
    let current: { quota: number; done: Deferred.Deferred<{ entries: number; millis: number }>; entries: number; started: number } | undefined
    const next = Effect.map(Queue.take(requests), (r) => (current = { ...r, entries: 0, started: now() }))
    yield* bus.subscribe(types).pipe(
      Stream.runForEachChunk((chunk) =>
        Effect.gen(function*() {
          const segment = current ?? (yield* next)
          yield* bus.ackAll(Chunk.toReadonlyArray(chunk))
          segment.entries += chunk.length
          if (segment.entries >= segment.quota) {
            yield* Deferred.succeed(segment.done, { entries: segment.entries, millis: now() - segment.started })
            current = undefined
          }
        })
      ),
      Effect.forkScoped
    )
    return {
      segment: (quota) =>
        Effect.gen(function*() {
          const done = yield* Deferred.make<{ entries: number; millis: number }>()
          yield* Queue.offer(requests, { quota, done })
          return yield* Deferred.await(done)
        })
    } satisfies Contender
  })

const throughput = (server: RedisServer.RedisServer, total: number, segment: number) =>
  Effect.gen(function*() {
    const raw = new Redis({ port: server.port })
    const tickPrefix = "bench:ticks:"
    const mixedPrefix = "bench:mixed:"
    const mixedTypes = ["trade.opened", "trade.closed", "order.executed", "market.tick"]
    yield* prefill(raw, tickPrefix, total, () => "market.tick")
    // 30 % opens, closes and fills (10 % each), 70 % ticks, interleaved.
    yield* prefill(raw, mixedPrefix, total, (n) => (n % 10 < 7 ? "market.tick" : mixedTypes[n % 10 - 7]!))
    yield* progress(`pre-filled ${int(total)} + ${int(total)} entries`)
    const busOf = (prefix: string, batchSize: number) =>
      Layer.build(RedisEventBus.layer({ url: Redacted.make(`redis://127.0.0.1:${server.port}`), streamPrefix: prefix, serviceName: `bench_${batchSize}`, batchSize })).pipe(
        Effect.map((context) => Context.get(context, EventBus))
      )
    const contenders: Array<[string, Contender]> = [
      ["a", yield* bareContender(raw, `${tickPrefix}market.tick`, "bare")],
      ["b500", yield* busContender(yield* busOf(tickPrefix, 500), ["market.tick"])],
      ["a100", yield* bareContender(raw, `${tickPrefix}market.tick`, "bare100", 100)],
      ["b100", yield* busContender(yield* busOf(tickPrefix, 100), ["market.tick"])],
      ["c", yield* busContender(yield* busOf(mixedPrefix, 500), mixedTypes)]
    ]
    // Segments taken in turn, so that each contender runs under the same (shared, noisy) load.
    const totals = new Map(contenders.map(([name]) => [name, { entries: 0, millis: 0 }]))
    for (let done = 0; done < total; done += segment) {
      for (const [name, contender] of contenders) {
        const result = yield* contender.segment(Math.min(segment, total - done))
        const sum = totals.get(name)!
        sum.entries += result.entries
        sum.millis += result.millis
      }
    }
    yield* progress("throughput done")
    const rate = (name: string) => totals.get(name)!.entries / (totals.get(name)!.millis / 1000)
    const vs = (name: string) => `${int(rate(name))} entries/s, ${((rate(name) / rate("a")) * 100).toFixed(0)} % of (a)`
    rows.push([`(a) ceiling: bare ioredis XREADGROUP COUNT 500 + one XACK per batch, ${int(total)} market.tick`, `${int(rate("a"))} entries/s`])
    rows.push([`(b) bus subscribe + ackAll per chunk, batch 500 (the default), same entries (own group), no decoding`, vs("b500")])
    rows.push([`(a') bare loop at COUNT 100`, `${int(rate("a100"))} entries/s`])
    rows.push([`(b) the bus at batch 100`, `${vs("b100")}, ${((rate("b100") / rate("a100")) * 100).toFixed(0)} % of (a')`])
    rows.push([`(c) bus, ordered merge of 4 streams (${int(total)} entries: 30 % opens/closes/fills, 70 % ticks), batch 500, no decoding`, vs("c")])
    raw.disconnect()
  })

const produce = (port: number, key: string, rate: number, seconds: number) =>
  Effect.async<{ sent: number; seconds: number }, Error>((resume) => {
    const producer = fileURLToPath(new URL("./producer.ts", import.meta.url))
    const child = spawn(
      process.execPath,
      ["--conditions=source", "--import", "tsx", producer, String(port), key, String(rate), String(seconds)],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    let out = ""
    child.stdout.on("data", (chunk) => (out += chunk))
    child.on("exit", (code) => resume(code === 0 ? Effect.succeed(JSON.parse(out)) : Effect.fail(new Error(`producer exited with ${code}`))))
    return Effect.sync(() => child.kill())
  })

/** Waits until `count()` reaches `target`, or until it has not moved for 3 s. */
const settle = (count: () => number, target: number) =>
  Effect.gen(function*() {
    let last = -1
    let lastMoved = now()
    while (count() < target) {
      if (count() !== last) [last, lastMoved] = [count(), now()]
      if (now() - lastMoved > 3_000) return
      yield* Effect.sleep("20 millis")
    }
  })

/** The latency row of a steady run: what was trimmed before read, and XADD → delivered percentiles. */
const steadyFigure = (report: { sent: number; seconds: number }, latencies: ReadonlyArray<number>) => {
  const sorted = [...latencies].sort((a, b) => a - b)
  const trimmed = report.sent - latencies.length
  return `produced ${int(report.sent / report.seconds)}/s; ${trimmed > 0 ? `${int(trimmed)} of ${int(report.sent)} trimmed before read` : `none of ${int(report.sent)} trimmed before read`}; ` +
    `XADD → delivered p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`
}

const sentAt = (payload: string) => (JSON.parse(payload) as { sent_at: number }).sent_at

/** The ceiling of a steady run: a bare `XREADGROUP COUNT <batch> BLOCK 1000` + `XACK` loop. */
const steadyBare = (server: RedisServer.RedisServer, rate: number, seconds: number, batch: number) =>
  Effect.gen(function*() {
    const key = `bench:steady-bare-${batch}:market.tick`
    const redis = new Redis({ port: server.port })
    yield* Effect.promise(() => redis.xgroup("CREATE", key, "bare", "0", "MKSTREAM"))
    const latencies: Array<number> = []
    let stop = false
    const loop = Effect.promise(async () => {
      while (!stop) {
        const reply = (await redis.xreadgroup("GROUP", "bare", "bare", "COUNT", batch, "BLOCK", 200, "STREAMS", key, ">")) as
          | Array<[string, Array<[string, Array<string>]>]>
          | null
        const entries = reply?.[0]?.[1] ?? []
        if (entries.length === 0) continue
        const at = now()
        for (const [, flat] of entries) latencies.push(at - sentAt(flat[3]!))
        await redis.xack(key, "bare", ...entries.map(([id]) => id))
      }
    })
    const fiber = yield* Effect.fork(loop)
    const report = yield* produce(server.port, key, rate, seconds)
    yield* settle(() => latencies.length, report.sent)
    stop = true
    yield* Fiber.join(fiber)
    redis.disconnect()
    rows.push([`steady ceiling: the same with a bare XREADGROUP COUNT ${batch} BLOCK + XACK loop`, steadyFigure(report, latencies)])
  })

const steady = (server: RedisServer.RedisServer, rate: number, seconds: number, batchSize: number) =>
  Effect.gen(function*() {
    const prefix = `bench:steady-${batchSize}:`
    const latencies: Array<number> = []
    yield* Effect.gen(function*() {
      const bus = yield* EventBus
      const fiber = yield* bus.subscribe(["market.tick"]).pipe(
        Stream.runForEachChunk((chunk) => {
          const at = now()
          // Reading the send time is the measurement's own work, not the bus's.
          for (const d of chunk) latencies.push(at - sentAt(d.fields["payload"]!))
          return bus.ackAll(Chunk.toReadonlyArray(chunk))
        }),
        Effect.fork
      )
      const report = yield* produce(server.port, `${prefix}market.tick`, rate, seconds)
      yield* settle(() => latencies.length, report.sent)
      yield* Fiber.interrupt(fiber)
      rows.push([
        `steady: XADD (MAXLEN ~ 10000) at ${int(rate)}/s for ${seconds} s from a producer process, bus subscribed (batch ${batchSize}, ackAll per chunk)`,
        steadyFigure(report, latencies)
      ])
    }).pipe(Effect.provide(RedisEventBus.layer({ url: Redacted.make(`redis://127.0.0.1:${server.port}`), streamPrefix: prefix, serviceName: "steady", batchSize })))
  })

const main = Effect.gen(function*() {
  const loadBefore = load()
  const server = yield* RedisServer.start({ args: ["--appendonly", "no"] })
  const total = Number(process.env["BENCH_ENTRIES"] ?? 100_000)
  yield* throughput(server, total, Number(process.env["BENCH_SEGMENT"] ?? 10_000))
  if (process.env["BENCH_STEADY"] !== "0") {
    yield* steadyBare(server, 20_000, 10, 500)
    yield* steady(server, 20_000, 10, 500)
    yield* progress("steady runs done")
  }
  rows.push(["machine load average (1 / 5 / 15 min) before → after", `${loadBefore} → ${load()}`])
}).pipe(
  Effect.scoped,
  Effect.ensuring(Effect.sync(() => {
    console.log("| Redis event bus (one subscription) | figure |")
    console.log("| --- | --- |")
    for (const [name, figure] of rows) console.log(`| ${name} | ${figure} |`)
  }))
)

Effect.runPromise(main).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
