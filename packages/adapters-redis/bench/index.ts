/**
 * Benchmarks of the Redis event bus against a local redis-server it starts (persistence off:
 * this measures the bus, not the disk), with one subscription and the default batch size:
 * - consume throughput: entries/s decoded with `decodeEnvelope`, applied to a Map of last
 *   prices and acknowledged, acking each entry before the next (`per entry`) or applying a
 *   read batch and then acking its entries together (`per batch`);
 * - latency from `XADD` of a `market.tick` by a producer process (its send time in the
 *   payload) to the consumer having applied it, at a steady 1 000 and 20 000 entries/s for
 *   5 s each; the rates achieved are reported as measured.
 * Run: pnpm --filter @portfolio/adapters-redis bench
 */
import { decodeEnvelope, type Delivery, EventBus, type IncomingEventOf } from "@portfolio/core"
import { Chunk, Effect, Either, Fiber, Redacted, Stream } from "effect"
import { Redis } from "ioredis"
import { spawn } from "node:child_process"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import { RedisEventBus } from "../src/index.js"
import { RedisServer } from "../src/testing/index.js"

type Mode = "per entry" | "per batch"

const now = () => performance.timeOrigin + performance.now()
const percentile = (sorted: ReadonlyArray<number>, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN
const int = (n: number) => Math.round(n).toLocaleString("en")
const progress = (message: string) => Effect.sync(() => process.stderr.write(`bench: ${message}\n`))
const rows: Array<[string, string]> = []

/** Decodes and applies one delivery to the Map of last prices; returns its send time if any. */
const apply = (prices: Map<string, number>, delivery: Delivery): number | undefined => {
  const decoded = decodeEnvelope(delivery.fields)
  if (Either.isLeft(decoded)) throw new Error(`bench entry did not decode: ${decoded.left.reason}`)
  const tick = decoded.right as IncomingEventOf<"market.tick">
  prices.set(tick.payload.symbol, tick.payload.mark_price ?? tick.payload.price)
  return (JSON.parse(delivery.fields["payload"]!) as { sent_at?: number }).sent_at
}

/** Consumes `market.tick` in the background until interrupted, calling `applied` after each apply. */
const consume = (mode: Mode, prices: Map<string, number>, applied: (sentAt: number | undefined) => void) =>
  Effect.flatMap(EventBus, (bus) => {
    const ticks = bus.subscribe(["market.tick"])
    const run = mode === "per entry"
      ? Stream.runForEach(ticks, (d) => Effect.zipRight(Effect.sync(() => applied(apply(prices, d))), d.ack))
      : ticks.pipe(
        Stream.mapChunksEffect((chunk) =>
          Effect.zipRight(
            Effect.sync(() => Chunk.forEach(chunk, (d) => applied(apply(prices, d)))),
            Effect.as(Effect.forEach(chunk, (d) => d.ack, { concurrency: "unbounded", discard: true }), Chunk.empty<never>())
          )
        ),
        Stream.runDrain
      )
    return Effect.fork(run)
  })

/** The consumer's bus: defaults but for the stream prefix. */
const busOf = (port: number, prefix: string) =>
  RedisEventBus.layer({ url: Redacted.make(`redis://127.0.0.1:${port}`), streamPrefix: prefix, serviceName: "bench" })

/** Waits until `count()` reaches `target`, or until it has not moved for 5 s. */
const settle = (count: () => number, target: number) =>
  Effect.gen(function*() {
    let last = -1
    let lastMoved = now()
    while (count() < target) {
      if (count() !== last) [last, lastMoved] = [count(), now()]
      if (now() - lastMoved > 5_000) return
      yield* Effect.sleep("20 millis")
    }
  })

const throughput = (server: RedisServer.RedisServer, mode: Mode, total: number) =>
  Effect.gen(function*() {
    const prefix = `bench:throughput:${mode.replace(" ", "-")}:`
    const raw = new Redis({ port: server.port })
    for (let start = 0; start < total; start += 1_000) {
      const pipeline = raw.pipeline()
      for (let n = start; n < Math.min(total, start + 1_000); n++) {
        const payload = JSON.stringify({ symbol: `SYM${n % 50}USDT`, price: 100 + (n % 997) / 10, timestamp: "2025-01-02T03:04:05.123456" })
        pipeline.xadd(`${prefix}market.tick`, "*", "event_type", "market.tick", "payload", payload, "trace_id", "", "timestamp", "2025-01-02T03:04:05.123456", "source", "bench")
      }
      yield* Effect.promise(() => pipeline.exec())
    }
    raw.disconnect()
    const prices = new Map<string, number>()
    let applied = 0
    const started = now()
    yield* Effect.gen(function*() {
      const fiber = yield* consume(mode, prices, () => void applied++)
      yield* settle(() => applied, total)
      yield* Fiber.interrupt(fiber)
    }).pipe(Effect.provide(busOf(server.port, prefix)))
    const seconds = (now() - started) / 1000
    if (applied !== total || prices.size !== 50) throw new Error(`applied ${applied} of ${total} (${prices.size} symbols)`)
    rows.push([`consume ${int(total)} market.tick: decode + apply to Map + XACK ${mode}`, `${int(total / seconds)} entries/s (${seconds.toFixed(2)} s)`])
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

const latency = (server: RedisServer.RedisServer, mode: Mode, rate: number, seconds: number) =>
  Effect.gen(function*() {
    const prefix = `bench:latency:${rate}:${mode.replace(" ", "-")}:`
    const latencies: Array<number> = []
    let firstAt = 0
    let lastAt = 0
    yield* Effect.gen(function*() {
      const fiber = yield* consume(mode, new Map(), (sentAt) => {
        lastAt = now()
        if (firstAt === 0) firstAt = lastAt
        if (sentAt !== undefined) latencies.push(lastAt - sentAt)
      })
      const report = yield* produce(server.port, `${prefix}market.tick`, rate, seconds)
      // Entries a consumer falls more than ~10 000 behind on are trimmed away (MAXLEN ~):
      // stop once everything arrived or nothing has for 5 s, and report what was applied.
      yield* settle(() => latencies.length, report.sent)
      yield* Fiber.interrupt(fiber)
      const sorted = [...latencies].sort((a, b) => a - b)
      const lost = report.sent - latencies.length
      rows.push([
        `XADD → applied, target ${int(rate)}/s for ${seconds} s, XACK ${mode}`,
        `p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p99 ${percentile(sorted, 0.99).toFixed(2)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms; ` +
          `produced ${int(report.sent / report.seconds)}/s, applied ${int(latencies.length / ((lastAt - firstAt) / 1000))}/s` +
          (lost > 0 ? `; ${int(lost)} of ${int(report.sent)} trimmed before read` : "")
      ])
    }).pipe(Effect.provide(busOf(server.port, prefix)))
  })

const load = () => loadavg().map((l) => l.toFixed(2)).join(" / ")

const main = Effect.gen(function*() {
  const loadBefore = load()
  const server = yield* RedisServer.start({ args: ["--appendonly", "no"] })
  const total = Number(process.env["BENCH_ENTRIES"] ?? 50_000)
  for (const mode of ["per entry", "per batch"] as const) {
    yield* throughput(server, mode, total)
    yield* progress(`throughput ${mode} done`)
  }
  for (const rate of [1_000, 20_000]) {
    for (const mode of ["per entry", "per batch"] as const) {
      yield* latency(server, mode, rate, 5)
      yield* progress(`latency at ${rate}/s ${mode} done`)
    }
  }
  rows.push(["machine load average (1 / 5 / 15 min) before → after", `${loadBefore} → ${load()}`])
}).pipe(
  Effect.scoped,
  Effect.ensuring(Effect.sync(() => {
    console.log("| Redis event bus (one subscription, batch 100) | figure |")
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
