/**
 * What the HTTP benchmarks share: wrk runs (one-line JSON summaries printed by their Lua
 * scripts), the bare `node:http` ceiling (`Ceiling.ts`) as a child process, and the CPU time a
 * process used.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Effect } from "effect"
import { waitFor } from "../test/support/WaitFor.js"

const here = new URL(".", import.meta.url).pathname

/** wrk's summary, as `ingest.lua` and `get.lua` print it. */
export interface Wrk {
  readonly requests: number
  readonly duration_us: number
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly status: number; readonly timeout: number }
  readonly p50_us: number
  readonly p99_us: number
}

/** One wrk run: `-t1`, `connections`, `seconds`, with a Lua script of this folder and its environment. */
export const wrk = (
  url: string,
  options: { readonly connections: number; readonly seconds: number; readonly script: string; readonly env?: Record<string, string>; readonly headers?: ReadonlyArray<string> }
) =>
  Effect.async<Wrk, Error>((resume) => {
    const headers = (options.headers ?? []).flatMap((h) => ["-H", h])
    const args = ["-t", "1", "-c", String(options.connections), "-d", `${options.seconds}s`, "--timeout", "30s", ...headers, "-s", join(here, options.script), url]
    const child = execFile("wrk", args, { env: { ...process.env, ...options.env }, maxBuffer: 2 ** 20 }, (error, stdout, stderr) => {
      if (error !== null) {
        const missing = (error as NodeJS.ErrnoException).code === "ENOENT"
        return resume(Effect.fail(missing ? new Error("wrk is not installed: apt-get install -y wrk") : new Error(`wrk failed: ${stderr}`)))
      }
      const line = stdout.split("\n").find((l) => l.startsWith("{"))
      if (line === undefined) return resume(Effect.fail(new Error(`wrk printed no summary:\n${stdout}`)))
      resume(Effect.succeed(JSON.parse(line) as Wrk))
    })
    return Effect.sync(() => child.kill())
  })

/** Requests per second of a run. */
export const rate = (w: Wrk): number => w.requests / (w.duration_us / 1e6)

/** Every error wrk counted (connect, read, write, non-2xx/3xx status, timeout). */
export const errorsOf = (w: Wrk): number => Object.values(w.errors).reduce((a, b) => a + b, 0)

/** CPU seconds (user + system) the process `pid` has used so far. */
export const cpuSeconds = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
}

/** The ceiling server (`Ceiling.ts`) as a child process with `env`, for the scope. */
export const ceiling = (env: Record<string, string>) =>
  Effect.gen(function* () {
    let text = ""
    const child = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const c = spawn(process.execPath, ["--import", "tsx", join(here, "Ceiling.ts")], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] })
        c.stdout!.setEncoding("utf8").on("data", (d: string) => (text += d))
        return c
      }),
      (c: ChildProcess) => Effect.sync(() => c.kill())
    )
    const port = yield* waitFor(Effect.sync(() => /listening on (\d+)/.exec(text)?.[1]), (p) => p !== undefined, "the ceiling server")
    return { url: `http://127.0.0.1:${port}`, pid: child.pid! }
  })
