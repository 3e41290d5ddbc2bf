/**
 * The cost of a `/metrics` scrape with 10 000 open positions (issue 16: ≤ 1 ms). The service on
 * memory adapters in this process, behind the real server on 127.0.0.1; 10 000 `trade.opened`
 * over 50 symbols and a tick per symbol are ingested, a snapshot is published (it sets the
 * portfolio gauges), some requests are made so that the HTTP histogram has series. Then:
 *
 * - `Prometheus.scrape` alone (`Metric.snapshot` + rendering), in process: median and p99 of
 *   2 000 scrapes;
 * - `GET /metrics` over HTTP (one keep-alive connection, sequential): median and p99 of 500,
 *   beside `GET /health` measured the same way (what any request costs here).
 *
 * `pnpm --filter @portfolio/http bench:metrics`
 */
import * as HttpServer from "@effect/platform/HttpServer"
import { PortfolioConfig, PortfolioLive, PortfolioService } from "@portfolio/core"
import { Effect, Layer } from "effect"
import { Agent, request } from "node:http"
import os from "node:os"
import * as Adapters from "../src/Adapters.js"
import * as HttpConfig from "../src/HttpConfig.js"
import * as Prometheus from "../src/Prometheus.js"
import * as Server from "../src/Server.js"

const POSITIONS = 10_000
const SYMBOLS = 50

const memory: Adapters.Choice = { store: { kind: "memory" }, bus: { kind: "memory" }, exchange: { kind: "paper", initialCash: 1_000_000 } }
const live = Server.layer(HttpConfig.make({ logRequests: false, port: 0, host: "127.0.0.1" })).pipe(
  Layer.provideMerge(PortfolioLive.layer),
  Layer.provide(PortfolioConfig.layer()),
  Layer.provide(Adapters.layer(memory))
)

const quantile = (xs: ReadonlyArray<number>, p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!
}
const fmt = (ms: number) => `${ms.toFixed(3)} ms`

const agent = new Agent({ keepAlive: true, maxSockets: 1 })
const get = (port: number, path: string) =>
  new Promise<{ status: number; bytes: number }>((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, agent }, (res) => {
      let bytes = 0
      res.on("data", (d: Buffer) => (bytes += d.length))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }))
    }).on("error", reject).end()
  })

const timeHttp = async (port: number, path: string, n: number) => {
  for (let i = 0; i < 50; i++) await get(port, path) // warm-up
  const times: Array<number> = []
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    const r = await get(port, path)
    times.push(performance.now() - t)
    if (r.status !== 200) throw new Error(`${path} answered ${r.status}`)
    bytes = r.bytes
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), bytes }
}

const program = Effect.gen(function* () {
  const service = yield* PortfolioService
  const server = yield* HttpServer.HttpServer
  const port = server.address._tag === "TcpAddress" ? server.address.port : 0
  for (let from = 0; from < POSITIONS; from += 1000) {
    const envelopes = Array.from({ length: 1000 }, (_, i) => ({
      event_type: "trade.opened",
      payload: JSON.stringify({ trade_id: `M${from + i}`, symbol: `S${(from + i) % SYMBOLS}USDT`, side: i % 3 === 0 ? "SHORT" : "LONG", entry_price: 100 + (i % 17), quantity: 1 + (i % 5), leverage: 2 })
    }))
    const results = yield* service.ingestMany(envelopes)
    if (results.some((r) => r.status !== "applied")) throw new Error("not every open was applied")
  }
  yield* service.ingestMany(Array.from({ length: SYMBOLS }, (_, s) => ({ event_type: "market.tick", payload: JSON.stringify({ symbol: `S${s}USDT`, price: 110 }) })))
  yield* service.publishSnapshot
  yield* Effect.promise(async () => {
    for (const path of ["/health", "/api/portfolio/pnl", "/api/portfolio/exposure", "/nope"]) await get(port, path)
  })

  const text = yield* Prometheus.scrape
  const inProcess: Array<number> = []
  for (let i = 0; i < 200; i++) yield* Prometheus.scrape // warm-up
  for (let i = 0; i < 2_000; i++) {
    const t = performance.now()
    yield* Prometheus.scrape
    inProcess.push(performance.now() - t)
  }
  const scrapeHttp = yield* Effect.promise(() => timeHttp(port, "/metrics", 500))
  const healthHttp = yield* Effect.promise(() => timeHttp(port, "/health", 500))
  agent.destroy()

  const [load1] = os.loadavg()
  console.log(`## /metrics with ${POSITIONS} open positions — ${new Date().toISOString()}`)
  console.log(`machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores (shared), load average ${load1!.toFixed(2)}, node ${process.version}`)
  const positions = /^portfolio_open_positions (\d+)$/m.exec(text)?.[1]
  console.log(`text: ${text.split("\n").length - 1} lines, ${Buffer.byteLength(text)} bytes; portfolio_open_positions ${positions}`)
  console.log("")
  console.log("| what | p50 | p99 |")
  console.log("| --- | --- | --- |")
  console.log(`| Prometheus.scrape in process (2 000×) | ${fmt(quantile(inProcess, 0.5))} | ${fmt(quantile(inProcess, 0.99))} |`)
  console.log(`| GET /metrics over HTTP, keep-alive (500×) | ${fmt(scrapeHttp.p50)} | ${fmt(scrapeHttp.p99)} |`)
  console.log(`| GET /health over HTTP, same way (500×) | ${fmt(healthHttp.p50)} | ${fmt(healthHttp.p99)} |`)
})

Effect.runPromise(program.pipe(Effect.provide(live), Effect.scoped)).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
