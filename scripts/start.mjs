#!/usr/bin/env node
// `pnpm start`: builds what changed, then runs the service, and ends as the service ends.
//
// - Build: `tsc -b packages/http/tsconfig.build.json` — the service's package and, through its
//   project references, every package it uses; incremental (`composite`, tsbuildinfo in each
//   package's dist/), so nothing is compiled when nothing changed. Then the dashboard
//   (packages/dashboard, esbuild) when its page is missing or older than its sources, and the
//   service's bundle (scripts/bundle.mjs, ~1 s) when it is older than the build.
// - Run: `node --max-semi-space-size=2 packages/http/dist/bundle/main.js` (MALLOC_ARENA_MAX=2; dist/main.js when
//   there is no bundle) as a child in a process group of
//   its own, so that it receives exactly one signal: the one this script forwards. (In one
//   group, Ctrl-C would reach it from the terminal and again from here or from pnpm, and the
//   second signal, arriving while it drains, would kill it.)
// - Stop: SIGINT, SIGTERM and SIGHUP are forwarded once; another one more than a second later,
//   while the service is still stopping, kills it (SIGKILL). This script exits with the service's exit code — 0 after a graceful
//   stop — so pnpm reports no failure; a service killed by a signal is reported as 128 + n.
//
// Usage: node scripts/start.mjs [--no-build] [node options…] — extra arguments go to node
// before the entry point (e.g. --enable-source-maps).
import { spawn, spawnSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { constants } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { bundle } from "./bundle.mjs"

const root = fileURLToPath(new URL("..", import.meta.url))
const args = process.argv.slice(2)
const build = !args.includes("--no-build")
const nodeOptions = args.filter((a) => a !== "--no-build")

/** The newest modification time of the files under `dir` (0 when there is none). */
const newest = (dir) => {
  let t = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) t = Math.max(t, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs)
  }
  return t
}

if (build) {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc")
  const built = spawnSync(process.execPath, [tsc, "-b", "packages/http/tsconfig.build.json"], { cwd: root, stdio: "inherit" })
  if (built.status !== 0) {
    console.error(`portfolio-intelligence: build failed (tsc exit code ${built.status ?? built.signal}); not started`)
    process.exit(1)
  }
  // The dashboard the service serves at /: built when missing or older than its sources.
  const dashboard = join(root, "packages/dashboard")
  const page = join(dashboard, "dist/index.html")
  if (existsSync(join(dashboard, "build.mjs")) && (!existsSync(page) || statSync(page).mtimeMs < newest(join(dashboard, "src")))) {
    const dashboardBuilt = spawnSync(process.execPath, ["build.mjs"], { cwd: dashboard, stdio: "inherit" })
    if (dashboardBuilt.status !== 0) console.error("portfolio-intelligence: the dashboard did not build; / answers 503 until it does")
  }
}

// The bundle of the service (scripts/bundle.mjs) when it can be made, else the build as it is.
const dist = join(root, "packages/http/dist/main.js")
const bundled = join(root, "packages/http/dist/bundle/main.js")
const entry = build ? (await bundle(root).catch((e) => console.error(`portfolio-intelligence: not bundled (${e.message}); running the build as it is`))) ?? dist : existsSync(bundled) ? bundled : dist

// Memory (BENCHMARKS.md, "Issue 16 — memory"): a young generation of 2 MB instead of V8's 16 MB
// semi-spaces, and two malloc arenas instead of one per thread; the options given win.
const memoryOptions = nodeOptions.some((o) => o.startsWith("--max-semi-space-size")) ? [] : ["--max-semi-space-size=2"]
// No --enable-source-maps by default: it keeps every module's map in memory (12 MB); pass it to
// have stack traces point into the TypeScript sources.
const child = spawn(process.execPath, [...memoryOptions, ...nodeOptions, entry], {
  cwd: root,
  // The bundle sits elsewhere than dist/main.js: the dashboard's place is said outright.
  env: { MALLOC_ARENA_MAX: "2", PORTFOLIO_DASHBOARD_DIR: join(root, "packages/dashboard/dist"), ...process.env },
  stdio: ["ignore", "inherit", "inherit"],
  detached: true
})

// One Ctrl-C arrives more than once: from the terminal and again from pnpm, which forwards it.
// Repeats within REPEAT_MS are that one stop; a signal after that asks to stop *now*.
const REPEAT_MS = 1_000
let forwardedAt
const forward = (signal) => {
  if (child.exitCode !== null || child.signalCode !== null) return
  if (forwardedAt === undefined) {
    forwardedAt = Date.now()
    child.kill(signal)
  } else if (Date.now() - forwardedAt > REPEAT_MS) {
    child.kill("SIGKILL")
  }
}
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => forward(signal))
// Should this script end for another reason, the service does not outlive it.
process.on("exit", () => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
})

child.on("error", (error) => {
  console.error(`portfolio-intelligence: cannot run node: ${error.message}`)
  process.exit(1)
})
child.on("exit", (code, signal) => {
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0))
})
