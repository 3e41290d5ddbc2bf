/**
 * The envelope reader's batches against an independent oracle: the whole file split on `\n`.
 * Files of many 64 KiB chunks (lines cut across chunk boundaries, multi-byte characters split
 * between chunks, CRLF endings, blank lines, corrupt lines far down, a last line without a
 * newline), plain and gzip, give every record at its own line number, in order.
 */
import { describe, expect, it } from "@effect/vitest"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import * as EventSource from "../src/EventSource.js"
import { tempDir } from "./support/Session.js"

/** What the reader should say of each line: the oracle, line by line. */
const expected = (text: string): Array<string> => {
  const lines = text.split("\n")
  if (lines.at(-1) === "") lines.pop() // the newline that ends the last line
  const out: Array<string> = []
  lines.forEach((raw, i) => {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw
    if (line.trim() === "") return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      out.push(`${i + 1} bad not JSON`)
      return
    }
    out.push(typeof value === "object" && value !== null && !Array.isArray(value) ? `${i + 1} ${JSON.stringify(value)}` : `${i + 1} bad not an envelope`)
  })
  return out
}

const read = async (path: string): Promise<{ records: Array<string>; batches: number }> => {
  const records: Array<string> = []
  let batches = 0
  for await (const batch of await EventSource.open([path])) {
    batches++
    for (const r of batch) {
      records.push(r._tag === "Entry" ? `${r.line} ${JSON.stringify(r.envelope)}` : `${r.line} bad ${r.reason.startsWith("not JSON") ? "not JSON" : "not an envelope"}`)
    }
  }
  return { records, batches }
}

/** ~1.5 MiB of envelopes of varying length, with the odd blank, CRLF, corrupt and non-object line. */
const content = (lastNewline: boolean): string => {
  const parts: Array<string> = []
  for (let i = 0; i < 12_000; i++) {
    const envelope = JSON.stringify({ event_type: "market.tick", payload: JSON.stringify({ symbol: `S${i % 7}`, price: i, note: "é€😀".repeat(i % 13) }), source: "x".repeat(i % 41) })
    if (i % 997 === 5) parts.push("")
    if (i % 1_511 === 9) parts.push("   \t")
    if (i % 2_003 === 11) parts.push(envelope.slice(0, 30)) // cut short
    if (i % 3_001 === 17) parts.push("[1, 2]")
    parts.push(i % 3 === 0 ? `${envelope}\r` : envelope)
  }
  return parts.join("\n") + (lastNewline ? "\n" : "")
}

describe("EventSource", () => {
  it("reads every line of a many-chunk file at its number, plain and gzip, with or without a last newline", async () => {
    const dir = tempDir()
    for (const lastNewline of [true, false]) {
      const text = content(lastNewline)
      const oracle = expected(text)
      const plain = join(dir, `events-${lastNewline}.jsonl`)
      const gzip = join(dir, `events-${lastNewline}.jsonl.gz`)
      writeFileSync(plain, text)
      writeFileSync(gzip, gzipSync(text))
      for (const path of [plain, gzip]) {
        const { records, batches } = await read(path)
        expect(records).toEqual(oracle)
        expect(batches).toBeGreaterThan(10) // read a chunk at a time, not whole
      }
    }
  }, 60_000)

  it("batches the merged entries of dumps as well", async () => {
    const dir = tempDir()
    const raw = join(dir, "ticks.txt")
    let text = ""
    for (let i = 0; i < 3_000; i++) text += `${1000 + i}-0\nevent_type\nmarket.tick\npayload\n{}\n`
    writeFileSync(raw, text)
    const ids: Array<string> = []
    let batches = 0
    for await (const batch of await EventSource.open([raw])) {
      batches++
      for (const r of batch) if (r._tag === "Entry") ids.push(r.id!)
    }
    expect(ids).toEqual(Array.from({ length: 3_000 }, (_, i) => `${1000 + i}-0`))
    expect(batches).toBeGreaterThan(1)
  })
})
