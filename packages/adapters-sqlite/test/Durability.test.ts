import { EquityHistory, TradeStore } from "@portfolio/core"
import { extremesFromScratch } from "@portfolio/core/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Random } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { SqliteStore } from "../src/index.js"
import { useTempDir } from "./fixtures/TempDir.js"

const { freshPath } = useTempDir()
const packageDir = fileURLToPath(new URL("..", import.meta.url))

/**
 * The moments of the kills come from this seed: `DURABILITY_SEED=<seed>` replays a run's
 * moments; without it a random seed is drawn and printed (and named in the test's title).
 */
const seed = process.env["DURABILITY_SEED"] ?? String(Math.floor(Math.random() * 2 ** 31))

/** The writer's output so far, as complete lines. */
interface Writer {
  readonly child: ChildProcess
  readonly lines: Array<string>
  readonly stderr: () => string
}

const startWriter = (path: string, run: string): Writer => {
  const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", "test/fixtures/writer.ts", path, run], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<string> = []
  let partial = ""
  let errors = ""
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    const parts = (partial + chunk).split("\n")
    partial = parts.pop() ?? ""
    lines.push(...parts)
  })
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (errors += chunk))
  return { child, lines, stderr: () => errors }
}

/** Polls `condition` every 10 ms until it holds, failing after `timeoutMs`. */
const waitFor = async (what: string, condition: () => boolean, timeoutMs: number, writer: Writer) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (writer.child.exitCode !== null) throw new Error(`writer exited (${writer.child.exitCode}) before ${what}: ${writer.stderr()}`)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; writer stderr: ${writer.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const killHard = (writer: Writer) =>
  new Promise<void>((resolve) => {
    if (writer.child.exitCode !== null || writer.child.signalCode !== null) return resolve()
    writer.child.once("exit", () => resolve())
    writer.child.kill("SIGKILL")
  })

describe("durability", () => {
  it.live(`every acknowledged commit survives kill -9, and every batch is whole or absent (DURABILITY_SEED=${seed})`, () =>
    Effect.gen(function*() {
      console.log(`durability: DURABILITY_SEED=${seed}`)
      const path = freshPath("durability")
      const rounds = 4
      for (let round = 0; round < rounds; round++) {
        const run = `r${round}`
        // A moment while it writes, from the seed: 30–400 ms after its first commit.
        const delayMs = yield* Random.nextIntBetween(30, 401)
        const writer = startWriter(path, run)
        const killed = yield* Effect.promise(async () => {
          try {
            await waitFor("the first commit", () => writer.lines.length > 0, 30_000, writer)
            await new Promise((resolve) => setTimeout(resolve, delayMs))
          } finally {
            await killHard(writer)
          }
          return writer.child.signalCode
        })
        expect(killed, `round ${round}, killed ${delayMs} ms after the first commit`).toBe("SIGKILL")
        const printedCommits = writer.lines.filter((l) => l.startsWith("commit ")).map((l) => l.slice(7))
        const printedEquity = writer.lines.filter((l) => l.startsWith("equity ")).map((l) => Number(l.slice(7)))
        expect(printedCommits.length).toBeGreaterThan(0)
        const lastPrinted = Number(printedCommits.at(-1)?.split("-")[1])

        yield* Effect.gen(function*() {
          const store = yield* TradeStore
          const history = yield* EquityHistory
          for (const key of printedCommits) expect(yield* store.isProcessed(key), `printed ${key} is committed`).toBe(true)

          const closes = new Set((yield* store.closedTrades()).map((c) => c.close_id))
          const fills = new Set((yield* store.fills()).map((f) => f.fill_key))
          const open = new Set((yield* store.openTrades).map((t) => t.trade_id))
          const net = new Set((yield* store.netPositions).map((p) => p.symbol))
          const parked = new Set((yield* store.parkedCloses).map((p) => p.event_key))
          // Batches past the last printed one may have committed (killed before printing) or not.
          let committed = 0
          for (let n = 0; n <= lastPrinted + 3; n++) {
            const key = `${run}-${n}`
            const done = yield* store.isProcessed(key)
            const next = yield* store.isProcessed(`${run}-${n + 1}`)
            if (done) committed = n + 1
            expect({ key, close: closes.has(`${key}-close`), fill: fills.has(`${key}-fill`), net: net.has(key) })
              .toEqual({ key, close: done, fill: done, net: done })
            expect({ key, open: open.has(`${key}-open`), parked: parked.has(`${key}-parked`) })
              .toEqual({ key, open: done && !next, parked: done && !next })
          }
          expect(committed).toBeGreaterThanOrEqual(lastPrinted + 1)
          expect((yield* store.closedTrades()).filter((c) => c.close_id.startsWith(`${run}-`))).toHaveLength(committed)

          const samples = yield* history.range()
          const stored = new Set(samples.map((s) => s.at))
          for (const at of printedEquity) expect(stored.has(at), `printed equity sample ${at} is stored`).toBe(true)
          expect(yield* history.extremes).toEqual(extremesFromScratch(samples))
        }).pipe(Effect.provide(SqliteStore.layer({ path })))
      }
    }).pipe(Effect.withRandom(Random.make(seed))), 90_000)
})
