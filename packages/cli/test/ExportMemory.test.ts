/**
 * `portfolio export` of 1 000 000 closes, and `GET /api/portfolio/export/closes.csv` of the
 * service on the same file, run in a heap capped far below the size of what they write
 * (`--max-old-space-size=96` for a 111 MiB CSV): the rows are streamed page by page from the
 * SQLite file to the output, never held whole.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqliteStore } from "@portfolio/adapters-sqlite"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { createReadStream, statSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { cli, T0, tempDir } from "./support/Session.js"

const ROWS = 1_000_000
const ROOT = new URL("../../../", import.meta.url).pathname
const MAIN = new URL("../src/main.ts", import.meta.url).pathname

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })

describe("export memory", () => {
  it.live("streams 1 000 000 closes to CSV in a 96 MiB heap, from the CLI and over HTTP", () =>
    Effect.gen(function* () {
      const dir = tempDir()
      const db = join(dir, "closes.db")
      yield* Effect.scoped(Layer.build(SqliteStore.layer({ path: db }))) // the schema, by the store's migrations
      const sqlite = new Database(db)
      const insert = sqlite.prepare(
        `insert into closed_trades (close_id, trade_id, symbol, side, entry_price, exit_price, quantity, realized_pnl, fees, opened_at, closed_at, remaining_size, orphan, over_close, round_trip_pnl)
         values (?, ?, 'BTCUSDT', 'LONG', 50000.5, 50100.25, 0.25, 24.9375, 0.05, ?, ?, 0, 0, 0, 24.9375)`
      )
      sqlite.transaction(() => {
        for (let i = 0; i < ROWS; i++) insert.run(`c-${i}`, `t-${i}`, T0 + i * 1_000 - 60_000, T0 + i * 1_000)
      })()
      sqlite.close()

      const out = join(dir, "closes.csv")
      const run = yield* Effect.promise(() => cli(["export", "closes", "--db", db, "--out", out], { NODE_OPTIONS: "--max-old-space-size=96" }))
      expect(run.stderr).toBe("")
      expect(run.code).toBe(0)
      expect(statSync(out).size).toBeGreaterThan(100 * 2 ** 20)
      // Every row, in order, once.
      let n = -1
      let ordered = true
      yield* Effect.promise(async () => {
        for await (const line of createInterface({ input: createReadStream(out) })) {
          if (n >= 0 && !line.startsWith(`c-${n},t-${n},`)) ordered = false
          n++
        }
      })
      expect(n).toBe(ROWS)
      expect(ordered).toBe(true)

      // The same over HTTP: the service on that file, its heap capped the same way.
      const port = yield* Effect.promise(freePort)
      const server = spawn(process.execPath, ["--max-old-space-size=96", "--conditions=source", "--import", "tsx", MAIN, "serve"], {
        cwd: ROOT,
        env: { ...process.env, PORTFOLIO_HTTP_PORT: String(port), PORTFOLIO_HTTP_HOST: "127.0.0.1", PORTFOLIO_TRADE_STORE_DB_PATH: db },
        stdio: ["ignore", "pipe", "inherit"]
      })
      yield* Effect.addFinalizer(() => Effect.sync(() => server.kill("SIGKILL")))
      let said = ""
      server.stdout.setEncoding("utf8").on("data", (d: string) => (said += d))
      const received = yield* Effect.promise(async () => {
        const deadline = Date.now() + 60_000
        while (!said.includes("listening on") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
        const answer = await fetch(`http://127.0.0.1:${port}/api/portfolio/export/closes.csv`)
        let bytes = 0
        let lines = 0
        for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.length
          for (const b of chunk) if (b === 10) lines++
        }
        return { status: answer.status, bytes, lines }
      })
      expect(received.status).toBe(200)
      expect(received.lines).toBe(ROWS + 1)
      expect(received.bytes).toBe(statSync(out).size)
      expect(server.exitCode).toBeNull() // still serving
    }).pipe(Effect.scoped), 240_000)
})
