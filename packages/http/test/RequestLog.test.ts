/**
 * The request log: its lines say what the logger would say (same fields, same escaping, in
 * logfmt and JSON), one write for the lines of FLUSH_MS (or FLUSH_LINES at once), nothing above
 * INFO, nothing lost on close.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Logger, LogLevel, Scope } from "effect"
import * as Logging from "../src/Logging.js"

const entry: Logging.RequestEntry = { method: "GET", path: '/a b"c=d', status: 404, durationMs: 1.23456 }

/** What Effect's logger writes for the same entry. */
const viaLogger = (logger: Layer.Layer<never>) => {
  const lines: Array<string> = []
  const original = console.log
  console.log = (line: string) => void lines.push(line)
  try {
    Effect.runSync(
      Effect.logInfo("http").pipe(
        Effect.annotateLogs({ method: entry.method, path: entry.path, status: entry.status, duration_ms: 1.23 }),
        Effect.provide(logger)
      )
    )
  } finally {
    console.log = original
  }
  return lines[0]!
}

/** logfmt's key=value pairs (values quoted as JSON strings when they need it). */
const logfmtPairs = (line: string): Record<string, string> => {
  const pairs: Record<string, string> = {}
  for (const m of line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)) pairs[m[1]!] = m[2]!.startsWith('"') ? JSON.parse(m[2]!) : m[2]!
  return pairs
}

const drop = <A extends Record<string, unknown>>(o: A, ...keys: Array<string>) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)))

describe("RequestLog", () => {
  it("writes the logger's line in logfmt and in JSON", () => {
    const now = new Date()
    const ours = logfmtPairs(Logging.formatRequest("logfmt", entry, now))
    const theirs = logfmtPairs(viaLogger(Logger.logFmt))
    expect(drop(ours, "timestamp", "fiber")).toEqual(drop(theirs, "timestamp", "fiber"))
    expect(ours["timestamp"]).toBe(now.toISOString())
    expect(ours["path"]).toBe(entry.path)

    const json = JSON.parse(Logging.formatRequest("json", entry, now))
    const effect = JSON.parse(viaLogger(Logger.json))
    expect(drop(json, "timestamp", "fiberId")).toEqual(drop(effect, "timestamp", "fiberId"))
  })

  it.live("joins the lines of FLUSH_MS in one write, writes FLUSH_LINES at once, and flushes what is left when it closes", () =>
    Effect.gen(function* () {
      const writes: Array<string> = []
      const scope = yield* Scope.make()
      const log = yield* Layer.buildWithScope(Logging.requestLog({ level: LogLevel.Info, format: "logfmt" }, (t) => void writes.push(t)), scope)
      const { write } = Context.get(log, Logging.RequestLog)
      write(entry)
      write({ ...entry, status: 200 })
      yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
      expect(writes).toEqual([])
      yield* Effect.sleep(Logging.FLUSH_MS * 3)
      expect(writes.length).toBe(1)
      expect(writes[0]!.split("\n").filter((l) => l !== "").map((l) => logfmtPairs(l)["status"])).toEqual(["404", "200"])
      // Each line is formatRequest's for its own timestamp (the layer keeps a millisecond's head and the quoted values).
      for (const [i, line] of writes[0]!.split("\n").filter((l) => l !== "").entries()) {
        expect(line).toBe(Logging.formatRequest("logfmt", { ...entry, status: i === 0 ? 404 : 200 }, new Date(logfmtPairs(line)["timestamp"]!)))
      }

      // A full batch is written at once, without waiting.
      for (let i = 0; i < Logging.FLUSH_LINES; i++) write({ ...entry, status: 201 })
      expect(writes.length).toBe(2)
      expect(writes[1]!.split("\n").filter((l) => l !== "").length).toBe(Logging.FLUSH_LINES)

      write({ ...entry, status: 500 })
      yield* Scope.close(scope, Exit.void)
      expect(writes.length).toBe(3)
      expect(logfmtPairs(writes[2]!)["status"]).toBe("500")
    })
  )

  it.effect("writes nothing when the level is above INFO", () =>
    Effect.gen(function* () {
      const writes: Array<string> = []
      const scope = yield* Scope.make()
      const log = yield* Layer.buildWithScope(Logging.requestLog({ level: LogLevel.Warning, format: "json" }, (t) => void writes.push(t)), scope)
      const { write } = Context.get(log, Logging.RequestLog)
      write(entry)
      yield* Scope.close(scope, Exit.void)
      yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
      expect(writes).toEqual([])
    })
  )
})
