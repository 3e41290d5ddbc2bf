/**
 * A real `redis-server` for tests and benchmarks: started from the machine's binary on a free
 * port of 127.0.0.1, persisting to a fresh temporary directory with an fsync per write
 * (`--appendonly yes --appendfsync always --save ""`), so it can be killed (`SIGKILL`) and
 * restarted with its streams intact. Stopped and its directory removed when the scope closes.
 * It fails loudly when the binary is missing or the server does not start: a test that needs
 * Redis never passes without it.
 *
 * @example
 * it.scopedLive("survives a restart", () =>
 *   Effect.gen(function*() {
 *     const server = yield* RedisServer.start()
 *     yield* server.kill
 *     yield* server.restart
 *   }))
 *
 * @since 0.1.0
 */
import { Data, Deferred, Effect, type Scope } from "effect"
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { createConnection, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The server could not be started or stopped; `reason` says why and what to do. */
export class RedisServerError extends Data.TaggedError("RedisServerError")<{
  readonly reason: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `redis-server: ${this.reason}`
  }
}

/** Options of {@link start}. */
export interface Options {
  /** The binary (default `redis-server` from `PATH`). */
  readonly binary?: string
  /** Require this password (`--requirepass`). */
  readonly password?: string
  /** More `redis-server` arguments, e.g. `["--maxmemory", "64mb"]`. */
  readonly args?: ReadonlyArray<string>
}

/** A running (or stopped, between `kill` and `restart`) server. */
export interface RedisServer {
  readonly host: "127.0.0.1"
  readonly port: number
  /** `redis://127.0.0.1:<port>`, without the password. */
  readonly url: string
  /** The directory holding its append-only file. */
  readonly dir: string
  /** Whether the process is running. */
  readonly running: Effect.Effect<boolean>
  /** Stops it with `SIGKILL`, as a crash would, and waits for the process to exit. */
  readonly kill: Effect.Effect<void>
  /** Stops it with `SIGTERM` (it flushes and exits) and waits for the process to exit. */
  readonly stop: Effect.Effect<void>
  /** Starts it again on the same port and directory (stopping it first if it runs). */
  readonly restart: Effect.Effect<void, RedisServerError>
}

/** A port that was free a moment ago on 127.0.0.1. */
const freePort = Effect.async<number, RedisServerError>((resume) => {
  const server = createServer()
  server.once("error", (cause) => resume(Effect.fail(new RedisServerError({ reason: "no free port", cause }))))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** Sends `PING` (after `AUTH` when there is a password) and says whether `PONG` came back. */
const ping = (port: number, password: string | undefined) =>
  Effect.async<boolean>((resume) => {
    const socket = createConnection({ host: "127.0.0.1", port })
    let reply = ""
    const done = (ok: boolean) => {
      socket.destroy()
      resume(Effect.succeed(ok))
    }
    socket.setTimeout(500, () => done(false))
    socket.once("error", () => done(false))
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8")
      if (reply.includes("+PONG")) done(true)
      else if (reply.includes("-")) done(false)
    })
    socket.once("connect", () => {
      const auth = password === undefined ? "" : `AUTH ${JSON.stringify(password)}\r\n`
      socket.write(`${auth}PING\r\n`)
    })
    return Effect.sync(() => socket.destroy())
  })

interface Running {
  readonly child: ChildProcess
  readonly exited: Deferred.Deferred<void>
  readonly output: Array<string>
}

/** Starts a server for the life of the scope. */
export const start = (options: Options = {}): Effect.Effect<RedisServer, RedisServerError, Scope.Scope> =>
  Effect.gen(function*() {
    const binary = options.binary ?? "redis-server"
    const dir = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: () => mkdtemp(join(tmpdir(), "portfolio-redis-")),
        catch: (cause) => new RedisServerError({ reason: "cannot make a temporary directory", cause })
      }),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    let current: Running | undefined

    const argsFor = (port: number) => [
      "--port", String(port),
      "--bind", "127.0.0.1",
      "--dir", dir,
      "--save", "",
      "--appendonly", "yes",
      "--appendfsync", "always",
      "--daemonize", "no",
      "--logfile", "",
      ...(options.password !== undefined ? ["--requirepass", options.password] : []),
      ...(options.args ?? [])
    ]

    const halt = (signal: NodeJS.Signals) =>
      Effect.suspend(() => {
        const running = current
        if (running === undefined || running.child.exitCode !== null || running.child.signalCode !== null) {
          return Effect.void
        }
        running.child.kill(signal)
        return Deferred.await(running.exited)
      })

    /** Spawns the server on `port` and waits (at most 10 s) until it answers `PING`. */
    const launch = (port: number) =>
      Effect.gen(function*() {
        yield* halt("SIGKILL")
        const exited = yield* Deferred.make<void>()
        const spawned = yield* Deferred.make<void, RedisServerError>()
        const output: Array<string> = []
        const child = spawn(binary, argsFor(port), { stdio: ["ignore", "pipe", "pipe"] })
        const keep = (chunk: Buffer) => {
          output.push(chunk.toString("utf8"))
          if (output.length > 50) output.shift()
        }
        child.stdout?.on("data", keep)
        child.stderr?.on("data", keep)
        child.once("spawn", () => Deferred.unsafeDone(spawned, Effect.void))
        child.once("error", (cause) => {
          const missing = (cause as NodeJS.ErrnoException).code === "ENOENT"
          const reason = missing
            ? `${binary} not found on PATH: install it (Debian: apt-get install redis-server)`
            : `${binary} could not be started: ${cause.message}`
          Deferred.unsafeDone(spawned, Effect.fail(new RedisServerError({ reason, cause })))
          Deferred.unsafeDone(exited, Effect.void)
        })
        child.once("exit", () => Deferred.unsafeDone(exited, Effect.void))
        current = { child, exited, output }
        yield* Deferred.await(spawned)
        for (let attempt = 0; attempt < 200; attempt++) {
          if (yield* ping(port, options.password)) return
          if (yield* Deferred.isDone(exited)) break
          yield* Effect.sleep("50 millis")
        }
        yield* halt("SIGKILL")
        return yield* new RedisServerError({
          reason: `did not answer PING on 127.0.0.1:${port}; its output:\n${output.join("").slice(-2_000)}`
        })
      })

    // A port found free may be taken before the server binds it: try a few.
    let port = 0
    for (let attempt = 1; ; attempt++) {
      port = yield* freePort
      const launched = yield* Effect.either(launch(port))
      if (launched._tag === "Right") break
      if (attempt === 3) return yield* launched.left
    }
    yield* Effect.addFinalizer(() => halt("SIGKILL"))

    return {
      host: "127.0.0.1",
      port,
      url: `redis://127.0.0.1:${port}`,
      dir,
      running: Effect.sync(() => current !== undefined && current.child.exitCode === null && current.child.signalCode === null),
      kill: halt("SIGKILL"),
      stop: halt("SIGTERM"),
      restart: launch(port)
    } satisfies RedisServer
  })
