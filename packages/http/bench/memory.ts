/**
 * Resident memory of the built service (issue 16: idle ≤ 90 MB; ≤ 150 MB with 10 000 positions
 * and 500 open connections), read from /proc/<pid>/status (VmRSS, and its anonymous and
 * file-backed parts) of the service on the embedded defaults (a SQLite file in a temporary
 * directory): as `pnpm start` runs it (the bundle `dist/bundle/main.js`, made by
 * `scripts/bundle.mjs`, with `--max-semi-space-size=2` and `MALLOC_ARENA_MAX=2`), `dist/main.js`
 * with the same settings (the build without the bundle), and bare (`node dist/main.js`). For each: idle 3 s after it listens;
 * then with 10 000 open positions over 50 symbols (posted as arrays of 1 000) and a tick per
 * symbol; then with 500 more keep-alive connections open, each having made one request
 * (`GET /health`: the connections' own cost, not that of 500 answers of 3 MB in flight at once).
 *
 * Needs the build and the bundle: `pnpm start` once, then
 * `pnpm --filter @portfolio/http bench:memory`.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { Agent, request } from "node:http"
import os from "node:os"
import { join } from "node:path"

const packageDir = new URL("..", import.meta.url).pathname
const POSITIONS = 10_000
const SYMBOLS = 50
const CONNECTIONS = 500

const status = (pid: number) => {
  const text = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? 0) / 1024
  return { rss: kb("VmRSS"), anon: kb("RssAnon"), file: kb("RssFile") }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const post = (port: number, body: unknown) =>
  new Promise<number>((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body))
    const req = request({ host: "127.0.0.1", port, path: "/api/events", method: "POST", headers: { "content-type": "application/json", "content-length": data.length } }, (res) => {
      res.resume()
      res.on("end", () => resolve(res.statusCode ?? 0))
    })
    req.on("error", reject)
    req.end(data)
  })

const run = async (name: string, nodeArgs: ReadonlyArray<string>, env: Record<string, string>, entry = "dist/main.js") => {
  const dir = mkdtempSync(join(os.tmpdir(), "portfolio-mem-"))
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: packageDir,
    env: { ...process.env, ...env, PORTFOLIO_HTTP_HOST: "127.0.0.1", PORTFOLIO_HTTP_PORT: "0", PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "p.db"), PORTFOLIO_HTTP_LOG_REQUESTS: "false" },
    stdio: ["ignore", "pipe", "inherit"]
  })
  let out = ""
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()))
  for (let i = 0; i < 300 && !/listening on http:\/\/[^:]+:(\d+)/.test(out); i++) await sleep(100)
  const port = Number(/listening on http:\/\/[^:]+:(\d+)/.exec(out)?.[1])
  if (!port) throw new Error(`${name}: did not listen:\n${out}`)
  await sleep(3_000)
  const idle = status(child.pid!)

  for (let from = 0; from < POSITIONS; from += 1000) {
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      event_type: "trade.opened",
      payload: { trade_id: `M${from + i}`, symbol: `S${(from + i) % SYMBOLS}USDT`, side: i % 3 === 0 ? "SHORT" : "LONG", entry_price: 100 + (i % 17), quantity: 1 + (i % 5), leverage: 2 }
    }))
    const code = await post(port, batch)
    if (code !== 202) throw new Error(`${name}: load answered ${code}`)
  }
  await post(port, Array.from({ length: SYMBOLS }, (_, s) => ({ event_type: "market.tick", payload: { symbol: `S${s}USDT`, price: 110 } })))
  await sleep(3_000)
  const loaded = status(child.pid!)

  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS })
  await Promise.all(
    Array.from({ length: CONNECTIONS }, () =>
      new Promise<void>((resolve, reject) =>
        request({ host: "127.0.0.1", port, path: "/health", agent }, (res) => {
          res.resume()
          res.on("end", () => resolve())
        }).on("error", reject).end()
      )
    )
  )
  await sleep(3_000)
  const connected = status(child.pid!)
  agent.destroy()
  child.kill("SIGTERM")
  await new Promise((r) => child.once("exit", r))
  rmSync(dir, { recursive: true, force: true })
  const f = (s: ReturnType<typeof status>) => `${s.rss.toFixed(0)} MB (anon ${s.anon.toFixed(0)}, file ${s.file.toFixed(0)})`
  console.log(`| ${name} | ${f(idle)} | ${f(loaded)} | ${f(connected)} |`)
}

console.log(`## Resident memory of the built service — ${new Date().toISOString()}`)
console.log(`machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores (shared), load average ${os.loadavg()[0]!.toFixed(2)}, node ${process.version}`)
console.log("")
console.log(`| run | idle | ${POSITIONS} positions | + ${CONNECTIONS} connections |`)
console.log("| --- | --- | --- | --- |")
if (existsSync(join(packageDir, "dist/bundle/main.js"))) {
  await run("as pnpm start runs it: the bundle, --max-semi-space-size=2, MALLOC_ARENA_MAX=2", ["--max-semi-space-size=2"], { MALLOC_ARENA_MAX: "2" }, "dist/bundle/main.js")
}
await run("dist/main.js, --max-semi-space-size=2, MALLOC_ARENA_MAX=2 (the build without the bundle; the Dockerfile runs the bundle)", ["--max-semi-space-size=2"], { MALLOC_ARENA_MAX: "2" })
await run("bare: node dist/main.js", [], {})
