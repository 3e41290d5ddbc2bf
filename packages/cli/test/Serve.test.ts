/**
 * `portfolio serve` is the service: it listens (a real server, the port the environment
 * chose), answers the API, and stops gracefully on SIGTERM with exit code 0; a bad setting
 * stops it at start with one line naming the variable (exit 1). Also the progress bar's text.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { createServer } from "node:net"
import * as Progress from "../src/Progress.js"
import { cli } from "./support/Session.js"

const ROOT = new URL("../../../", import.meta.url).pathname
const MAIN = new URL("../src/main.ts", import.meta.url).pathname

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })

describe("portfolio serve", () => {
  it.live("serves the API and stops on SIGTERM with exit code 0", () =>
    Effect.promise(async () => {
      const port = await freePort()
      const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", MAIN, "serve"], {
        cwd: ROOT,
        env: { ...process.env, PORTFOLIO_HTTP_PORT: String(port), PORTFOLIO_HTTP_HOST: "127.0.0.1", PORTFOLIO_TRADE_STORE_TYPE: "memory" },
        stdio: ["ignore", "pipe", "pipe"]
      })
      let out = ""
      child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d))
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
      const deadline = Date.now() + 60_000
      while (!out.includes("listening on") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      expect(out).toContain(`listening on http://127.0.0.1:${port}`)
      const health = await fetch(`http://127.0.0.1:${port}/health`)
      expect(health.status).toBe(200)
      const csv = await fetch(`http://127.0.0.1:${port}/api/portfolio/export/closes.csv`)
      expect(await csv.text()).toBe("close_id,trade_id,symbol,side,entry_price,exit_price,quantity,realized_pnl,fees,opened_at,closed_at,remaining_size,orphan,over_close,round_trip_pnl\r\n")
      child.kill("SIGTERM")
      expect(await exited).toBe(0)
    }), 90_000)

  it.live("a bad setting stops it at start naming the variable", () =>
    Effect.gen(function* () {
      const run = yield* Effect.promise(() => cli(["serve"], { PORTFOLIO_HTTP_PORT: "eighty" }))
      expect(run.code).toBe(1)
      expect(run.stderr).toContain("PORTFOLIO_HTTP_PORT")
    }), 60_000)
})

describe("Progress", () => {
  it("tells the share read, events, rate and time left", () => {
    expect(Progress.line(250_000, 50, 100, 1_000)).toBe("[############............]  50% 250,000 events 250,000 ev/s ETA 00:01")
    expect(Progress.line(0, 0, 100, 0)).toContain("ETA --:--")
  })

  it("draws nothing off a terminal", () => {
    const written: Array<string> = []
    const stream = { isTTY: false, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream
    const bar = Progress.make(100, stream)
    bar.update(10, 10)
    bar.done()
    expect(written).toEqual([])
    const tty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream
    const drawn = Progress.make(100, tty)
    drawn.update(10, 10)
    drawn.done()
    expect(written[0]).toContain("10 events")
    expect(written.at(-1)).toBe("\r\x1b[K")
  })
})
