/**
 * PostgreSQL for the end-to-end tests of the service on `PORTFOLIO_TRADE_STORE_TYPE=postgres`:
 *
 * - the shared test server (`PORTFOLIO_TEST_POSTGRES_URL`, default
 *   `postgres://postgres@127.0.0.1:5432/test`, what `.ci/run` starts) and a schema of its own
 *   per test ({@link schema}), dropped when the test's scope closes;
 * - {@link PrivateServer}: a throwaway cluster of the machine's PostgreSQL binaries (`initdb`,
 *   `pg_ctl`) on a free port, for a test that stops and restarts its server without touching the
 *   server everyone else's tests use; stopped and deleted when the scope closes, whatever
 *   happened;
 * - {@link describePostgres}: the tests when the server answers, else one failing test saying
 *   why — never a silent skip.
 *
 * Statements run through `psql` (installed with the server), so the http package needs no
 * PostgreSQL driver of its own.
 */
import { describe, it } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import { execFile } from "node:child_process"
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

/** The shared test server (trust authentication). */
export const testUrl = process.env["PORTFOLIO_TEST_POSTGRES_URL"] ?? "postgres://postgres@127.0.0.1:5432/test"

const run = (file: string, args: ReadonlyArray<string>, timeoutMs = 60_000): Promise<string> =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${file} ${args.filter((a) => !a.startsWith("postgres")).join(" ")}: ${stderr || error.message}`))
      else resolve(stdout)
    })
  })

/** Runs `sql` on `url` with `psql`; its output, unaligned, tuples only. */
export const psql = (url: string, sql: string): Promise<string> => run("psql", [url, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])

const probe = async (): Promise<string | undefined> => {
  try {
    await psql(testUrl, "select 1")
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

/** Why the shared server cannot be used, or `undefined` when it answers. */
export const unreachable: string | undefined = await probe()

/** `describe` when the shared server answers; otherwise one failing test naming it and the error. */
export const describePostgres = (name: string, body: () => void): void => {
  if (unreachable === undefined) describe(name, body)
  else {
    describe(name, () => {
      it("PostgreSQL is reachable", () => {
        throw new Error(`PostgreSQL at ${testUrl.replace(/\/\/[^@]*@/, "//")} is unreachable (${unreachable}); CI must start it (.ci/run), or set PORTFOLIO_TEST_POSTGRES_URL`)
      })
    })
  }
}

/** A schema name of its own on the shared server (`pit_http_<tag>_<random>`), dropped when the scope closes. */
export const schema = (tag: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => `pit_http_${tag}_${Math.random().toString(36).slice(2, 8)}`),
    (name) => Effect.promise(() => psql(testUrl, `drop schema if exists "${name}" cascade`).catch(() => ""))
  )

/** A free TCP port of 127.0.0.1 (bound and released). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

/** The newest PostgreSQL binaries of the machine (`/usr/lib/postgresql/<version>/bin`). */
const binDir = (): string => {
  const root = "/usr/lib/postgresql"
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "pg_ctl"))) : []
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1)
  if (newest === undefined) throw new Error(`no PostgreSQL binaries under ${root} (.ci/run installs Debian's postgresql)`)
  return join(root, newest, "bin")
}

/** A running throwaway PostgreSQL server. */
export interface PrivateServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string
  readonly port: number
  /** Stops it (`pg_ctl stop -m fast`: sessions are ended, as in a restart by an operator). */
  readonly stop: Effect.Effect<void, Error>
  /** Starts it again on the same port and data. */
  readonly start: Effect.Effect<void, Error>
}

/**
 * Initialises a cluster in a temporary directory (as the `postgres` user when running as root,
 * as `initdb` refuses root) and starts it on a free port of 127.0.0.1 with trust
 * authentication. When the scope closes it is stopped (`-m immediate`) and its directory
 * deleted, whatever state the test left it in.
 */
export const privateServer: Effect.Effect<PrivateServer, Error, Scope.Scope> = Effect.gen(function* () {
  const bin = yield* Effect.try({ try: binDir, catch: (e) => e as Error })
  const asRoot = process.getuid?.() === 0
  const as = (file: string, args: ReadonlyArray<string>) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", join(bin, file), ...args]) : run(join(bin, file), args)
  const dir = yield* Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "portfolio-pg-"))),
    (d) => Effect.sync(() => rmSync(d, { recursive: true, force: true }))
  )
  if (asRoot) {
    // The directory must belong to the postgres user: look its ids up rather than assume them.
    const uid = Number((yield* Effect.promise(() => run("id", ["-u", "postgres"]))).trim())
    const gid = Number((yield* Effect.promise(() => run("id", ["-g", "postgres"]))).trim())
    chownSync(dir, uid, gid)
  }
  const data = join(dir, "data")
  yield* Effect.tryPromise({ try: () => as("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]), catch: (e) => e as Error })
  const port = yield* Effect.promise(freePort)
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`
  const start = Effect.tryPromise({
    try: () => as("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-o", options, "-w", "-t", "60", "start"]),
    catch: (e) => e as Error
  }).pipe(Effect.asVoid)
  const stop = Effect.tryPromise({ try: () => as("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "60", "stop"]), catch: (e) => e as Error }).pipe(Effect.asVoid)
  yield* Effect.acquireRelease(start, () =>
    Effect.promise(() => as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => "")))
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, stop, start }
})
