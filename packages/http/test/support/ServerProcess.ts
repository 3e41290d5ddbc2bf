/**
 * The real service as a child process, for end-to-end tests: `node --conditions=source
 * --import tsx src/main.ts` with the given environment (nothing inherited with the
 * `PORTFOLIO_` prefix), on `PORTFOLIO_HTTP_PORT=0` of 127.0.0.1; its address is read from the
 * line it prints when it listens. The process is stopped (SIGTERM, then SIGKILL) when the
 * scope closes.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Duration, Effect, type Scope } from "effect"
import { waitFor } from "./WaitFor.js"

const packageDir = new URL("../..", import.meta.url).pathname

/** How a process ended. */
export interface Exit {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/** A started service. */
export interface ServerProcess {
  readonly url: string
  readonly port: number
  readonly pid: number
  /** Everything printed so far, standard output and error interleaved. */
  readonly output: () => string
  /** Sends a signal and waits for the exit. */
  readonly stop: (signal?: NodeJS.Signals) => Effect.Effect<Exit, Error>
  /** Resolves when the process has exited. */
  readonly exited: Effect.Effect<Exit>
}

/** A failure of a test helper, with what the process printed. */
export class ProcessError extends Error {}

const cleanEnv = (env: Record<string, string>): NodeJS.ProcessEnv => {
  const base: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PORTFOLIO_")) base[k] = v
  return { ...base, PORTFOLIO_HTTP_HOST: "127.0.0.1", PORTFOLIO_HTTP_PORT: "0", ...env }
}

/** How to run the service: from its TypeScript sources (tsx), or the build (`pnpm build` first). */
export type Entry = "source" | "dist"

const argsOf = (entry: Entry) => (entry === "source" ? ["--conditions=source", "--import", "tsx", "src/main.ts"] : ["dist/main.js"])

const spawnService = (env: Record<string, string>, entry: Entry = "source", stdoutFile?: string) => {
  // Standard output into a file, as a deployment's log file, when asked: the benchmark of the
  // request log's cost should not count a reader in this process decoding every line.
  const fd = stdoutFile === undefined ? undefined : openSync(stdoutFile, "w")
  const child = spawn(process.execPath, argsOf(entry), {
    cwd: packageDir,
    env: cleanEnv(env),
    stdio: ["ignore", fd ?? "pipe", "pipe"]
  })
  if (fd !== undefined) closeSync(fd)
  let text = ""
  child.stdout?.setEncoding("utf8").on("data", (d: string) => (text += d))
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (text += d))
  const exit = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })))
  return { child, output: () => (stdoutFile === undefined ? text : readFileSync(stdoutFile, "utf8") + text), exit }
}

const waitExit = (exit: Promise<Exit>, within: Duration.DurationInput, output: () => string): Effect.Effect<Exit, Error> =>
  Effect.promise(() => exit).pipe(
    Effect.timeoutFail({ duration: within, onTimeout: () => new ProcessError(`the process did not exit within ${Duration.format(within)}:\n${output()}`) })
  )

const kill = (child: ChildProcess, exit: Promise<Exit>) =>
  Effect.promise(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
    await exit
    clearTimeout(timer)
  })

const LISTENING = /portfolio-intelligence listening on http:\/\/([^:\s]+):(\d+)/

/**
 * Starts the service (from `entry`; its standard output into `stdoutFile` when given) and waits
 * (at most `within`) for it to listen.
 */
export const start = (
  env: Record<string, string> = {},
  within: Duration.DurationInput = "45 seconds",
  entry: Entry = "source",
  stdoutFile?: string
): Effect.Effect<ServerProcess, Error, Scope.Scope> =>
  Effect.gen(function* () {
    const { child, exit, output } = yield* Effect.acquireRelease(
      Effect.sync(() => spawnService(env, entry, stdoutFile)),
      ({ child, exit }) => kill(child, exit)
    )
    let exited: Exit | undefined
    void exit.then((e) => (exited = e))
    yield* waitFor(
      Effect.sync(() => output()),
      (text) => LISTENING.test(text) || exited !== undefined,
      "the service to listen",
      within
    )
    const match = LISTENING.exec(output())
    if (match === null) {
      return yield* Effect.fail(new ProcessError(`the service exited (${JSON.stringify(exited)}) before listening:\n${output()}`))
    }
    const port = Number(match[2])
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      pid: child.pid!,
      output,
      exited: Effect.promise(() => exit),
      stop: (signal = "SIGTERM") =>
        Effect.suspend(() => {
          child.kill(signal)
          return waitExit(exit, "30 seconds", output)
        })
    } satisfies ServerProcess
  })

/** Runs the service expecting it to exit by itself (a bad configuration), within `within`. */
export const runToExit = (env: Record<string, string>, within: Duration.DurationInput = "45 seconds") =>
  Effect.gen(function* () {
    const { child, exit, output } = yield* Effect.acquireRelease(
      Effect.sync(() => spawnService(env)),
      ({ child, exit }) => kill(child, exit)
    )
    const result = yield* waitExit(exit, within, output)
    void child
    return { ...result, output: output() }
  })

/** Waits, polling, until the output matches `pattern` (at most `within`). */
export const waitForOutput = (server: ServerProcess, pattern: RegExp, within: Duration.DurationInput = "20 seconds") =>
  waitFor(Effect.sync(() => server.output()), (text) => pattern.test(text), `output matching ${pattern}`, within)

/** A fresh temporary directory for the life of the scope. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => mkdtempSync(join(tmpdir(), "portfolio-http-"))),
  (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
)
