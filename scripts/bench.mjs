#!/usr/bin/env node
// Runs every package's benchmarks (the `bench` script of each package that has one, then its
// `bench:pipeline` when it has one), one after another so they do not compete for the two
// cores, and prints their tables.
// Usage: pnpm bench            (all packages)
//        pnpm bench core http  (only the named packages)
import { spawnSync } from "node:child_process"
import { readdirSync, readFileSync, existsSync } from "node:fs"
import { join } from "node:path"
import os from "node:os"

const root = new URL("..", import.meta.url).pathname
const only = process.argv.slice(2)
const order = ["core", "adapters-sqlite", "adapters-postgres", "adapters-redis", "adapters-binance", "http", "cli"]
const dirs = readdirSync(join(root, "packages"))
  .filter((d) => existsSync(join(root, "packages", d, "package.json")))
  .sort((a, b) => order.indexOf(a) - order.indexOf(b))

console.log(`# Benchmarks — ${new Date().toISOString()}`)
console.log(`machine: ${os.cpus()[0]?.model ?? "unknown cpu"}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`)
let failed = 0
for (const dir of dirs) {
  if (only.length > 0 && !only.includes(dir)) continue
  const pkg = JSON.parse(readFileSync(join(root, "packages", dir, "package.json"), "utf8"))
  // `bench`, then `bench:pipeline` (the service fed through Redis Streams) where a package has it.
  const scripts = ["bench", "bench:pipeline"].filter((s) => pkg.scripts?.[s])
  if (scripts.length === 0) continue
  console.log(`\n## ${pkg.name}\n`)
  for (const script of scripts) {
    const run = spawnSync("pnpm", ["run", "--silent", script], { cwd: join(root, "packages", dir), stdio: "inherit" })
    if (run.status !== 0) {
      failed++
      console.error(`${script} of ${pkg.name} failed with exit code ${run.status}`)
    }
  }
}
process.exit(failed === 0 ? 0 : 1)
