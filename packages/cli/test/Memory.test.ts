/**
 * Constant memory: a JSON-lines file several times larger than the heap the replay may use is
 * streamed through `Replay.run` while the heap is sampled; the heap never grows by more than a
 * bound far below the file's size (a replay that read the file whole would hold it all).
 */
import { describe, expect, it } from "@effect/vitest"
import { closeSync, openSync, statSync, writeSync } from "node:fs"
import { join } from "node:path"
import * as EventSource from "../src/EventSource.js"
import * as Replay from "../src/Replay.js"
import { envelope, T0, tempDir } from "./support/Session.js"

const EVENTS = 600_000

/** Writes `EVENTS` envelopes: ticks of 50 symbols, a trade opened and closed every 500 events. */
const generate = (path: string): void => {
  const fd = openSync(path, "w")
  let buffer = ""
  for (let i = 0; i < EVENTS; i++) {
    const at = T0 + i * 1_000
    const symbol = `S${i % 50}USDT`
    const price = 100 + Math.sin(i / 1_000) * 10 + (i % 7)
    const e = i % 500 === 1
      ? envelope("trade.opened", at, { trade_id: `T${i}`, symbol, side: i % 1000 === 1 ? "LONG" : "SHORT", entry_price: price, quantity: 1, leverage: 2 })
      : i % 500 === 250
      ? envelope("trade.closed", at, { trade_id: `T${i - 249}`, exit_price: price, quantity: 1 })
      : envelope("market.tick", at, { symbol, price })
    buffer += JSON.stringify(e) + "\n"
    if (buffer.length > 1 << 20) {
      writeSync(fd, buffer)
      buffer = ""
    }
  }
  writeSync(fd, buffer)
  closeSync(fd)
}

describe("Replay memory", () => {
  it("streams a file far larger than its heap growth", async () => {
    const file = join(tempDir(), "large.jsonl")
    generate(file)
    const size = statSync(file).size
    expect(size).toBeGreaterThan(100 * 2 ** 20)
    globalThis.gc?.()
    const base = process.memoryUsage().heapUsed
    let peak = 0
    const result = await Replay.run(
      await EventSource.open([file]),
      { initialCash: 10_000, timeZone: "UTC", positionSource: "trades", periodsPerYear: 365, skipInvalid: false },
      { progress: () => void (peak = Math.max(peak, process.memoryUsage().heapUsed - base)) }
    )
    expect(result.applied).toBe(EVENTS)
    expect(result.summary.round_trips).toBe(EVENTS / 500)
    expect(result.lastEventAt).toBe(T0 + (EVENTS - 1) * 1_000)
    // Generous against GC timing; a whole-file read would hold > size bytes of strings.
    expect(peak).toBeLessThan(64 * 2 ** 20)
    expect(peak).toBeLessThan(size / 2)
  }, 120_000)
})
