/**
 * Test helpers: a deterministic trading session as bus envelopes, the CLI run as a child
 * process from its sources, and a small RFC 4180 parser (an oracle independent of `Csv`).
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, readdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export const T0 = Date.parse("2025-03-07T09:00:00Z") // a Friday
export const MINUTE = 60_000
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR

/** Python's zone-less UTC form, as the executor writes timestamps. */
export const iso = (ms: number) => new Date(ms).toISOString().replace("Z", "")

/** A bus envelope whose payload is a JSON string, with the payload's and the entry's timestamp. */
export const envelope = (type: string, at: number, payload: Record<string, unknown>) => ({
  event_type: type,
  payload: JSON.stringify({ ...payload, timestamp: iso(at) }),
  trace_id: "",
  timestamp: iso(at),
  source: "test"
})

export type Envelope = ReturnType<typeof envelope>

/** A seeded generator (mulberry32). */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = seed
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/**
 * `days` days of trading: ticks of three symbols every 20 minutes (a random walk), a trade
 * opened every 3 hours, closed in two parts (half after 2 hours, the rest after 5), fees on
 * both. Event times strictly increase.
 */
export const session = (days: number, seed = 7): Array<Envelope> => {
  const rnd = random(seed)
  const symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"] as const
  const prices: Record<string, number> = { BTCUSDT: 80_000, ETHUSDT: 2_000, SOLUSDT: 150 }
  const qty: Record<string, number> = { BTCUSDT: 0.05, ETHUSDT: 1.5, SOLUSDT: 20 }
  const out: Array<{ at: number; env: Envelope }> = []
  const end = T0 + days * DAY
  let n = 0
  for (let at = T0; at < end; at += 20 * MINUTE) {
    for (const [i, s] of symbols.entries()) {
      prices[s] = prices[s]! * (1 + (rnd() - 0.5) * 0.01)
      out.push({ at: at + i, env: envelope("market.tick", at + i, { symbol: s, price: prices[s] }) })
    }
    if ((at - T0) % (3 * HOUR) === 0) {
      n++
      const s = symbols[n % 3]!
      const side = n % 2 === 0 ? "LONG" : "SHORT"
      const id = `T${n}`
      const openAt = at + 5
      out.push({ at: openAt, env: envelope("trade.opened", openAt, { trade_id: id, symbol: s, side, entry_price: prices[s], quantity: qty[s], leverage: 3, fees: 0.5 }) })
      for (const [after, part] of [[2 * HOUR + 7, 0.5], [5 * HOUR + 9, 0.5]] as const) {
        const closeAt = at + after
        if (closeAt >= end) continue
        out.push({ at: closeAt, env: { ...envelope("trade.closed", closeAt, { trade_id: id, symbol: s, side, exit_price: Number.NaN, quantity: qty[s]! * part, fees: 0.25, close_id: `${id}-${after}` }) } })
      }
    }
  }
  out.sort((a, b) => a.at - b.at)
  // Closes take the price of the last tick before them.
  const last: Record<string, number> = { ...prices }
  for (const s of symbols) last[s] = NaN
  return out.map(({ env }) => {
    const payload = JSON.parse(env.payload) as Record<string, unknown>
    if (env.event_type === "market.tick") last[payload["symbol"] as string] = payload["price"] as number
    if (env.event_type === "trade.opened" && Number.isFinite(last[payload["symbol"] as string])) payload["entry_price"] = last[payload["symbol"] as string]
    if (env.event_type === "trade.closed") payload["exit_price"] = last[payload["symbol"] as string]
    return { ...env, payload: JSON.stringify(payload) }
  })
}

/** A fresh temporary directory. */
export const tempDir = () => mkdtempSync(join(tmpdir(), "portfolio-cli-"))

const ROOT = new URL("../../../../", import.meta.url).pathname
const MAIN = new URL("../../src/main.ts", import.meta.url).pathname

/** What a run of the CLI printed, and how it ended. */
export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `portfolio …args` from the sources (as `pnpm portfolio` does), in a child process. */
export const cli = (args: ReadonlyArray<string>, env: Record<string, string> = {}): Promise<CliRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--conditions=source", "--import", "tsx", MAIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

/** An RFC 4180 parser: records of fields; quoted fields may hold commas, quotes ("") and line breaks. */
export const parseCsv = (text: string): Array<Array<string>> => {
  const rows: Array<Array<string>> = []
  let row: Array<string> = []
  let field = ""
  let i = 0
  let quoted = false
  while (i < text.length) {
    const c = text[i]!
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i += 2
          continue
        }
        quoted = false
        i++
        continue
      }
      field += c
      i++
      continue
    }
    if (c === '"' && field === "") {
      quoted = true
      i++
    } else if (c === ",") {
      row.push(field)
      field = ""
      i++
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field)
      rows.push(row)
      row = []
      field = ""
      i += 2
    } else if (c === '"') {
      throw new Error(`a quote inside an unquoted field at ${i}`)
    } else if (c === "\n") {
      throw new Error(`a bare LF at ${i}: records end with CRLF`)
    } else {
      field += c
      i++
    }
  }
  if (quoted) throw new Error("an unterminated quoted field")
  if (field !== "" || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/** Pages of a PDF, by pdfinfo; its text, by pdftotext; pages rendered by pdftoppm. */
export const inspectPdf = (file: string, dir: string) => {
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [file], { encoding: "utf8" }))![1])
  const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" })
  execFileSync("pdftoppm", ["-r", "40", "-png", file, join(dir, "page")])
  const rendered = readdirSync(dir).filter((f) => f.startsWith("page") && f.endsWith(".png")).length
  return { pages, text, rendered }
}

