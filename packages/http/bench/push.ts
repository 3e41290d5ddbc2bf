/**
 * Push fan-out: the service as a child process on 127.0.0.1 (memory store, in-process bus),
 * `CLIENTS` (1 000) SSE clients in this process, `ROUNDS` (7) events posted one after another:
 * the time from the `POST` to the first and to the last client's receiving the snapshot that
 * shows the event. Beside it, in the same run, the ceiling: a bare `node:http` server (child
 * process) writing a frame of the same size to the same number of open responses when poked.
 * Also the service's resident memory with the clients connected, and the latency of one event to
 * one SSE and one WebSocket client (`LATENCY_ROUNDS`, 40 posts 150 ms apart): p50 / p99 / max.
 *
 * `pnpm --filter @portfolio/http bench:push` (CLIENTS=… ROUNDS=… to change).
 */
import { spawn } from "node:child_process"
import { request } from "node:http"
import { readFileSync } from "node:fs"
import { Effect } from "effect"
import { WebSocket } from "ws"
import * as Http from "../test/support/Http.js"
import * as ServerProcess from "../test/support/ServerProcess.js"

const CLIENTS = Number(process.env["CLIENTS"] ?? 1000)
const ROUNDS = Number(process.env["ROUNDS"] ?? 7)
const LATENCY_ROUNDS = Number(process.env["LATENCY_ROUNDS"] ?? 40)

const quantile = (xs: ReadonlyArray<number>, q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!

/** From each POST to the snapshot showing it on one SSE and one WebSocket client. */
const latency = async (port: number, url: string) => {
  const seen = { sse: new Map<number, number>(), ws: new Map<number, number>() }
  const mark = (where: Map<number, number>, text: string) => {
    for (const m of text.matchAll(/"lat-(\d+)"/g)) if (!where.has(Number(m[1]))) where.set(Number(m[1]), performance.now())
  }
  const close = await openStreams(port, "/api/portfolio/stream?types=snapshot", 1, (_i, text) => mark(seen.sse, text))
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?types=snapshot`)
  await new Promise((r) => ws.once("open", r))
  ws.on("message", (d) => mark(seen.ws, String(d)))
  const sent: Array<number> = []
  for (let r = 0; r < LATENCY_ROUNDS; r++) {
    sent.push(performance.now())
    await Effect.runPromise(Http.sendEvent(url, "trade.opened", { trade_id: `lat-${r}`, symbol: "ETHUSDT", side: "LONG", entry_price: 2_000, quantity: 1 }))
    await new Promise((res) => setTimeout(res, 150))
  }
  await new Promise((res) => setTimeout(res, 300))
  close.forEach((c) => c())
  ws.terminate()
  const of = (where: Map<number, number>) => sent.map((t, r) => (where.get(r) ?? NaN) - t).filter(Number.isFinite)
  return { sse: of(seen.sse), ws: of(seen.ws) }
}

const rssMb = (pid: number): number => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"))
  return Number(line?.replace(/\D+/g, "") ?? 0) / 1024
}

/** Opens `count` event streams; each calls `onData(i, text)` for what it receives. */
const openStreams = (port: number, path: string, count: number, onData: (i: number, text: string) => void) =>
  Promise.all(
    Array.from({ length: count }, (_, i) =>
      new Promise<() => void>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, agent: false, headers: { accept: "text/event-stream" } }, (res) => {
          res.setEncoding("utf8").on("data", (d: string) => onData(i, d))
          resolve(() => req.destroy())
        })
        req.on("error", reject)
        req.end()
      })
    )
  )

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/** Times, over `ROUNDS`, from `poke()` to the first and the last client's seeing `marker(round)`. */
const fanOut = async (port: number, path: string, poke: (round: number) => Promise<void>, marker: (round: number) => string) => {
  let round = -1
  let pokedAt = 0
  let seen = new Set<number>()
  let first = 0
  let last = 0
  let done: (() => void) | undefined
  const close = await openStreams(port, path, CLIENTS, (i, text) => {
    if (round < 0 || seen.has(i) || !text.includes(marker(round))) return
    seen.add(i)
    const t = performance.now() - pokedAt
    if (seen.size === 1) first = t
    if (seen.size === CLIENTS) {
      last = t
      done?.()
    }
  })
  await new Promise((r) => setTimeout(r, 500))
  const firsts: Array<number> = []
  const lasts: Array<number> = []
  for (let r = 0; r < ROUNDS; r++) {
    seen = new Set()
    const all = new Promise<void>((resolve) => (done = resolve))
    round = r
    pokedAt = performance.now()
    await poke(r)
    await all
    firsts.push(first)
    lasts.push(last)
    await new Promise((res) => setTimeout(res, 200))
  }
  return { firsts, lasts, close: () => close.forEach((c) => c()) }
}

/** The ceiling: a bare server holding every response open, writing `frame` to all on `POST /poke`. */
const BARE = `
const http = require("node:http")
const open = new Set()
const server = http.createServer((req, res) => {
  if (req.method === "POST") {
    let body = ""
    req.on("data", (d) => (body += d)).on("end", () => {
      const frame = "event: portfolio.snapshot_updated\\ndata: " + body + "\\n\\n"
      for (const r of open) r.write(frame)
      res.end()
    })
    return
  }
  res.writeHead(200, { "content-type": "text/event-stream" })
  res.write(": connected\\n\\n")
  open.add(res)
  req.on("close", () => open.delete(res))
})
server.listen(0, "127.0.0.1", () => console.log(server.address().port))
`

const post = (port: number, body: string) =>
  new Promise<void>((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/poke", method: "POST", agent: false }, (res) => res.resume().on("end", resolve))
    req.on("error", reject)
    req.end(body)
  })

const program = Effect.scoped(
  Effect.gen(function* () {
    const server = yield* ServerProcess.start({ PORTFOLIO_TRADE_STORE_TYPE: "memory", PORTFOLIO_HTTP_LOG_REQUESTS: "false", PORTFOLIO_SNAPSHOT_INTERVAL: "3600" })
    const idle = rssMb(server.pid)
    let sampleFrame = ""
    const service = yield* Effect.promise(() =>
      fanOut(
        server.port,
        "/api/portfolio/stream?types=snapshot",
        async (r) => {
          const answer = await Effect.runPromise(Http.sendEvent(server.url, "trade.opened", { trade_id: `fan-${r}`, symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity: 0.1 }))
          if (answer.status !== 202) throw new Error(`post: ${answer.status}`)
        },
        (r) => `"fan-${r}"`
      )
    )
    const withClients = rssMb(server.pid)
    service.close()
    const lat = yield* Effect.promise(() => latency(server.port, server.url))
    const snapshot = yield* Http.get(server.url, "/api/portfolio/snapshot")
    sampleFrame = snapshot.text

    const bare = spawn(process.execPath, ["-e", BARE], { stdio: ["ignore", "pipe", "inherit"] })
    yield* Effect.addFinalizer(() => Effect.sync(() => bare.kill()))
    const barePort = yield* Effect.promise(() => new Promise<number>((resolve) => bare.stdout!.setEncoding("utf8").once("data", (d: string) => resolve(Number(d.trim())))))
    const ceiling = yield* Effect.promise(() => fanOut(barePort, "/", (r) => post(barePort, sampleFrame.replace(/^\{/, `{"m":"bare-${r}",`)), (r) => `"bare-${r}"`))
    ceiling.close()

    const f = (x: number) => x.toFixed(1)
    console.log(`push fan-out, ${CLIENTS} SSE clients, ${ROUNDS} rounds (median; min–max of the last client)`)
    console.log(`| what | first client ms | last client ms |`)
    console.log(`| --- | --- | --- |`)
    console.log(`| service: POST trade.opened → snapshot on every stream | ${f(median(service.firsts))} | ${f(median(service.lasts))} (${f(Math.min(...service.lasts))}–${f(Math.max(...service.lasts))}) |`)
    console.log(`| bare node:http, same frame size (${sampleFrame.length} B) written to every response | ${f(median(ceiling.firsts))} | ${f(median(ceiling.lasts))} (${f(Math.min(...ceiling.lasts))}–${f(Math.max(...ceiling.lasts))}) |`)
    console.log(`ratio (last client, service / bare): ${(median(service.lasts) / median(ceiling.lasts)).toFixed(2)}`)
    console.log(`service RSS: idle ${f(idle)} MB, with ${CLIENTS} clients ${f(withClients)} MB`)
    for (const [name, xs] of [["SSE", lat.sse], ["WebSocket", lat.ws]] as const) {
      console.log(`one ${name} client, POST trade.opened → snapshot (${xs.length}/${LATENCY_ROUNDS}): p50 ${f(quantile(xs, 0.5))} ms, p99 ${f(quantile(xs, 0.99))} ms, max ${f(Math.max(...xs))} ms`)
    }
  })
)

Effect.runPromise(program).catch((e) => {
  console.error(e)
  process.exit(1)
})
