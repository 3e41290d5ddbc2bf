/**
 * Benchmarks of the `portfolio` command (issue 14's targets), each run as the user runs it — a
 * child process of the CLI (from its sources, or its build with `--dist`) — on files generated here:
 *
 * - `backtest` over a JSON-lines file of N events (default 1 000 000): events/s end to end
 *   (read, parse, validate, apply) and the process's peak RSS, beside its ceiling in the same
 *   run (the same file read and `JSON.parse`d by the same reader, nothing applied);
 * - `export closes` of M closes (default 1 000 000) from an SQLite file to CSV: rows/s, beside
 *   its ceiling (the same rows read by bare better-sqlite3 in one iteration).
 *
 * Usage: `pnpm --filter @portfolio/cli bench [events] [closes] [--dist]` — `--dist` runs the
 * built command (`packages/cli/dist/main.js`, what the installed `portfolio` bin runs; `pnpm
 * build` first) instead of its sources under tsx (whose loader adds ~80 MB of RSS). `closes` 0
 * skips the export: `bench -- 10000000 0 --dist` is the 10 M-event memory target (a 2 GiB file).
 * The generated files are deleted at the end.
 */
import { spawnSync } from "node:child_process"
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { SqliteStore } from "@portfolio/adapters-sqlite"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"

const DIST = process.argv.includes("--dist")
const numbers = process.argv.slice(2).filter((a) => !a.startsWith("--"))
const events = Number(numbers[0] ?? 1_000_000)
const closes = Number(numbers[1] ?? 1_000_000)
const dir = mkdtempSync(join(tmpdir(), "portfolio-cli-bench-"))
process.on("exit", () => rmSync(dir, { recursive: true, force: true }))
const T0 = Date.parse("2025-03-07T09:00:00Z")
const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "")
const envelope = (type: string, at: number, payload: Record<string, unknown>) =>
  JSON.stringify({ event_type: type, payload: JSON.stringify({ ...payload, timestamp: iso(at) }), trace_id: "", timestamp: iso(at), source: "bench" })

const file = join(dir, "events.jsonl")
{
  const fd = openSync(file, "w")
  let buffer = ""
  for (let i = 0; i < events; i++) {
    const at = T0 + i * 1_000
    const symbol = `S${i % 50}USDT`
    const price = 100 + Math.sin(i / 1_000) * 10 + (i % 7)
    buffer += (i % 500 === 1
      ? envelope("trade.opened", at, { trade_id: `T${i}`, symbol, side: "LONG", entry_price: price, quantity: 1, leverage: 2 })
      : i % 500 === 250
      ? envelope("trade.closed", at, { trade_id: `T${i - 249}`, exit_price: price, quantity: 1 })
      : envelope("market.tick", at, { symbol, price })) + "\n"
    if (buffer.length > 1 << 20) {
      writeSync(fd, buffer)
      buffer = ""
    }
  }
  writeSync(fd, buffer)
  closeSync(fd)
}

const cli = (args: ReadonlyArray<string>) => {
  const started = process.hrtime.bigint()
  const entry = DIST ? [join(import.meta.dirname, "../dist/main.js")] : ["--conditions=source", "--import", "tsx", join(import.meta.dirname, "../src/main.ts")]
  const run = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, ...entry, ...args], {
    cwd: join(import.meta.dirname, "../../.."),
    encoding: "utf8",
    maxBuffer: 1 << 30
  })
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  if (run.status !== 0) throw new Error(`portfolio ${args.join(" ")} failed: ${run.stderr}`)
  const rssKb = Number(run.stderr.trim().split("\n").at(-1))
  return { seconds, rssMb: rssKb / 1024, stdout: run.stdout }
}

// The start-up of node + tsx + the command, measured on an empty file, is taken off.
const empty = join(dir, "empty.jsonl")
writeSync(openSync(empty, "w"), "")
const idle = cli(["backtest", empty, "--json"])
const startup = idle.seconds
console.log(`| start-up of the command ${DIST ? "from its build" : "from its sources (node + tsx)"}, empty file | ${startup.toFixed(1)} s | RSS ${idle.rssMb.toFixed(0)} MB |`)
const backtest = cli(["backtest", file, "--json"])
// The ceiling: the same file read by the same chunked reader (from the build with --dist) and
// JSON.parse'd, nothing applied; timed inside the child, so no start-up is taken off.
const bareRead = (path: string): number => {
  const reader = DIST ? join(import.meta.dirname, "../dist/EventSource.js") : join(import.meta.dirname, "../src/EventSource.ts")
  const run = spawnSync(process.execPath, [...(DIST ? [] : ["--conditions=source", "--import", "tsx"]), "--input-type=module", "-e", `
    const EventSource = await import(${JSON.stringify(reader)})
    const started = performance.now()
    let n = 0
    for await (const batch of await EventSource.open([${JSON.stringify(path)}])) for (const r of batch) if (r._tag === "Entry") n++
    console.log((performance.now() - started) / 1000)
  `], { cwd: join(import.meta.dirname, ".."), encoding: "utf8" })
  if (run.status !== 0) throw new Error(run.stderr)
  return Number(run.stdout.trim())
}
const ceiling = bareRead(file)
const rate = events / (backtest.seconds - startup)
const bare = events / Math.max(0.001, ceiling)
console.log(`| ceiling: the same file read and JSON.parse'd, nothing applied | ${Math.round(bare).toLocaleString("en-US")} events/s | backtest at ${((rate / bare) * 100).toFixed(0)} % of it |`)
console.log(`| backtest, ${events.toLocaleString("en-US")} events (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB JSON lines) | ${Math.round(events / (backtest.seconds - startup)).toLocaleString("en-US")} events/s (${backtest.seconds.toFixed(1)} s wall, ${startup.toFixed(1)} s of it start-up) | peak RSS ${backtest.rssMb.toFixed(0)} MB |`)

if (closes > 0) {
  const db = join(dir, "closes.db")
  // The store's schema (migrations), then closes inserted in bulk by better-sqlite3.
  await Effect.runPromise(Effect.scoped(Layer.build(SqliteStore.layer({ path: db }))))
  const sqlite = new Database(db)
  const insert = sqlite.prepare(`insert into closed_trades (close_id, trade_id, symbol, side, entry_price, exit_price, quantity, realized_pnl, fees, opened_at, closed_at, remaining_size, orphan, over_close, round_trip_pnl) values (?, ?, 'BTCUSDT', 'LONG', 50000.5, 50100.25, 0.25, 24.9375, 0.05, ?, ?, 0, 0, 0, 24.9375)`)
  sqlite.transaction(() => {
    for (let i = 0; i < closes; i++) insert.run(`c-${i}`, `t-${i}`, T0 + i * 1_000 - 60_000, T0 + i * 1_000)
  })()
  sqlite.close()
  const exportStartup = cli(["export", "closes", "--db", db, "--to", String(T0)]).seconds
  const exported = cli(["export", "closes", "--db", db])
  // The ceiling: the same rows read by bare better-sqlite3 in one iteration, in this process.
  const bareExport = (() => {
    const reader = new Database(db, { readonly: true })
    const started = performance.now()
    let n = 0
    for (const _ of reader.prepare("select * from closed_trades order by closed_at, close_id").iterate()) n++
    reader.close()
    return n / ((performance.now() - started) / 1000)
  })()
  const exportRate = closes / (exported.seconds - exportStartup)
  console.log(`| ceiling: the same rows read by bare better-sqlite3 (one iteration, no encoding) | ${Math.round(bareExport).toLocaleString("en-US")} rows/s | export at ${((exportRate / bareExport) * 100).toFixed(0)} % of it |`)
  console.log(`| export closes to CSV, ${closes.toLocaleString("en-US")} rows (SQLite) | ${Math.round(closes / (exported.seconds - exportStartup)).toLocaleString("en-US")} rows/s (${exported.seconds.toFixed(1)} s wall) | peak RSS ${exported.rssMb.toFixed(0)} MB, ${(exported.stdout.length / 2 ** 20).toFixed(0)} MiB written |`)
}
