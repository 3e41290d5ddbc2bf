/**
 * `portfolio export` of 1 000 000 closes runs in a heap capped far below the size of what it
 * writes (`--max-old-space-size=96` for a 111 MiB CSV): the rows are streamed page by page from
 * the SQLite file to the output, never held whole.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqliteStore } from "@portfolio/adapters-sqlite"
import Database from "better-sqlite3"
import { Effect, Layer } from "effect"
import { createReadStream, statSync } from "node:fs"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { cli, T0, tempDir } from "./support/Session.js"

const ROWS = 1_000_000

describe("export memory", () => {
  it.live("streams 1 000 000 closes to CSV in a 96 MiB heap", () =>
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
    }), 180_000)
})
