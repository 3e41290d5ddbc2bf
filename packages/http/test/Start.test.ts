/**
 * `pnpm start` at the root (scripts/start.mjs), end to end: it builds what changed (nothing, the
 * second time: tsc prints nothing), runs the service (its bundle: the docs, loaded lazily, and
 * the dashboard are served), and a stop by Ctrl-C (SIGINT to the
 * terminal's whole process group: pnpm, the script and anything in that group) or by SIGTERM to
 * pnpm alone (a supervisor) ends with exit code 0 and no error line from pnpm (`ELIFECYCLE`).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as Http from "./support/Http.js"
import { waitFor } from "./support/WaitFor.js"

const root = new URL("../../..", import.meta.url).pathname
const LISTENING = /portfolio-intelligence listening on http:\/\/([^:\s]+):(\d+)/

const env = (): NodeJS.ProcessEnv => {
  const base: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PORTFOLIO_") && !k.startsWith("npm_")) base[k] = v
  return { ...base, PORTFOLIO_HTTP_HOST: "127.0.0.1", PORTFOLIO_HTTP_PORT: "0", PORTFOLIO_TRADE_STORE_TYPE: "memory" }
}

/** Runs `pnpm start` in a process group of its own, as a terminal runs a foreground job. */
const pnpmStart = Effect.acquireRelease(
  Effect.sync(() => {
    const started = Date.now()
    const child = spawn("pnpm", ["start"], { cwd: root, env: env(), stdio: ["ignore", "pipe", "pipe"], detached: true })
    let text = ""
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (text += d))
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (text += d))
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal }))
    )
    return { child, started, exit, output: () => text }
  }),
  ({ child, exit }) =>
    Effect.promise(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      // SIGTERM first: the script stops the service, which SIGKILL would leave running.
      process.kill(-child.pid!, "SIGTERM")
      const timer = setTimeout(() => process.kill(-child.pid!, "SIGKILL"), 10_000)
      await exit
      clearTimeout(timer)
    })
)

/** Starts, checks the service answers, stops it with `stop`, and returns what happened. */
const startAndStop = (stop: (pid: number) => void) =>
  Effect.gen(function* () {
    const run = yield* pnpmStart
    const text = yield* waitFor(
      Effect.sync(run.output),
      (t) => LISTENING.test(t) || run.child.exitCode !== null,
      "pnpm start to listen",
      "240 seconds"
    )
    const listeningAfterMs = Date.now() - run.started
    const match = LISTENING.exec(text)
    expect(match, text).not.toBeNull()
    const url = `http://127.0.0.1:${match![2]}`
    expect((yield* Http.get(url, "/health")).status).toBe(200)
    // The bundle's lazily loaded chunk, and the dashboard (built by the start too) where the bundle is told it is.
    expect((yield* Http.get(url, "/docs")).text).toContain("SwaggerUIBundle")
    expect((yield* Http.get(url, "/")).status).toBe(200)
    stop(run.child.pid!)
    const exit = yield* Effect.promise(() => run.exit).pipe(Effect.timeout("30 seconds"))
    return { exit, output: run.output(), listeningAfterMs }
  })

describe("pnpm start", () => {
  it.scopedLive("builds what changed, and ends with exit 0 and no pnpm error on Ctrl-C and on SIGTERM", () =>
    Effect.gen(function* () {
      // Ctrl-C: the terminal signals its foreground process group.
      const first = yield* startAndStop((pid) => process.kill(-pid, "SIGINT"))
      expect(first.exit, first.output).toEqual({ code: 0, signal: null })
      expect(first.output).toContain("http server stopping")
      expect(first.output).toContain("portfolio service stopped")
      expect(first.output).not.toMatch(/ELIFECYCLE|ERR_PNPM|Command failed/)

      // Nothing changed since: nothing is compiled, nothing printed by tsc; a supervisor's SIGTERM to pnpm.
      const second = yield* startAndStop((pid) => process.kill(pid, "SIGTERM"))
      expect(second.exit, second.output).toEqual({ code: 0, signal: null })
      expect(second.output).toContain("portfolio service stopped")
      expect(second.output).not.toMatch(/ELIFECYCLE|ERR_PNPM|Command failed|error TS/)
      console.log(`pnpm start listened ${second.listeningAfterMs} ms after it was run (nothing to build)`)
    }), 300_000)
})
