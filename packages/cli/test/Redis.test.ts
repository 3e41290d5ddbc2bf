/**
 * Replays of Redis streams: `--redis URL` reads the live streams' history (XRANGE, merged by
 * entry id, read-only) and `redis-cli --raw XRANGE` dumps, one file per stream, are merged the
 * same way — both give what the same events give from a JSON-lines file. Against a real
 * `redis-server`.
 */
import { describe, expect, it } from "@effect/vitest"
import { RedisServer } from "@portfolio/adapters-redis/testing"
import { Effect } from "effect"
import { execFileSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { Redis } from "ioredis"
import * as EventSource from "../src/EventSource.js"
import { cli, session, tempDir } from "./support/Session.js"

const events = session(2, 11)

describe("portfolio backtest on Redis streams", () => {
  it.scopedLive("--redis and XRANGE dumps replay the streams merged by id, as the JSON-lines file of the same events", () =>
    Effect.gen(function* () {
      const server = yield* RedisServer.start()
      const redis = new Redis(server.url)
      yield* Effect.addFinalizer(() => Effect.promise(() => redis.quit()))
      // Each type in its own stream; ids from the event times, as Redis stamps them.
      for (const e of events) {
        const at = Date.parse(`${e.timestamp}Z`)
        yield* Effect.promise(() =>
          redis.xadd(`quantum:stream:${e.event_type}`, `${at}-0`, "event_type", e.event_type, "payload", e.payload, "trace_id", e.trace_id, "timestamp", e.timestamp, "source", e.source)
        )
      }
      const dir = tempDir()
      const file = join(dir, "events.jsonl")
      writeFileSync(file, events.map((e) => JSON.stringify(e)).join("\n"))
      const fromFile = JSON.parse((yield* Effect.promise(() => cli(["backtest", file, "--json"]))).stdout)

      const fromRedis = yield* Effect.promise(() => cli(["backtest", "--redis", server.url, "--json"]))
      expect(fromRedis.stderr).toBe("")
      const viaRedis = JSON.parse(fromRedis.stdout)
      expect(viaRedis.applied).toBe(events.length)
      expect(viaRedis.snapshot).toEqual(fromFile.snapshot)
      expect(viaRedis.pnl).toEqual(fromFile.pnl)
      expect(viaRedis.summary).toEqual(fromFile.summary)
      // Read-only: no consumer group was created, nothing trimmed.
      for (const type of ["trade.opened", "trade.closed", "market.tick"]) {
        expect(yield* Effect.promise(() => redis.xinfo("GROUPS", `quantum:stream:${type}`))).toEqual([])
      }
      expect(yield* Effect.promise(() => redis.xlen("quantum:stream:market.tick"))).toBe(events.filter((e) => e.event_type === "market.tick").length)

      const dumps = ["trade.opened", "trade.closed", "market.tick"].map((type) => {
        const out = join(dir, `${type}.txt`)
        writeFileSync(out, execFileSync("redis-cli", ["-p", String(server.port), "--raw", "XRANGE", `quantum:stream:${type}`, "-", "+"]))
        return out
      })
      const fromDumps = yield* Effect.promise(() => cli(["backtest", ...dumps, "--json"]))
      expect(fromDumps.stderr).toBe("")
      const viaDumps = JSON.parse(fromDumps.stdout)
      expect(viaDumps.applied).toBe(events.length)
      expect(viaDumps.snapshot).toEqual(fromFile.snapshot)
      expect(viaDumps.pnl).toEqual(fromFile.pnl)
    }), 120_000)

  it.live("an unreachable Redis is one line naming the URL without its password", () =>
    Effect.gen(function* () {
      const run = yield* Effect.promise(() => cli(["backtest", "--redis", "redis://user:s3cret@127.0.0.1:1"]))
      expect(run.code).toBe(1)
      expect(run.stderr).toContain("redis://user:***@127.0.0.1:1")
      expect(run.stderr).not.toContain("s3cret")
    }), 30_000)
})

describe("EventSource.merge", () => {
  const entry = (id: string, type: string): EventSource.Entry => ({ _tag: "Entry", source: type, line: 1, envelope: { event_type: type }, id })
  async function* of(...xs: Array<EventSource.Record_>) {
    yield* xs
  }

  it("orders by milliseconds, then opened < executed < closed < tick < ess, then sequence — whatever the files' order", async () => {
    const merged: Array<string> = []
    for await (const r of EventSource.merge([
      of(entry("1000-0", "ess.tripped"), entry("2000-0", "market.tick")),
      of(entry("1000-5", "market.tick"), entry("1000-9", "market.tick")),
      of(entry("1000-3", "trade.closed")),
      of(entry("1000-7", "trade.opened"), entry("1500-0", "trade.opened")),
      of(entry("999-0", "order.executed"), entry("1000-8", "order.executed"))
    ])) {
      if (r._tag === "Entry") merged.push(`${r.id} ${r.envelope["event_type"]}`)
    }
    expect(merged).toEqual([
      "999-0 order.executed",
      "1000-7 trade.opened",
      "1000-8 order.executed",
      "1000-3 trade.closed",
      "1000-5 market.tick",
      "1000-9 market.tick",
      "1000-0 ess.tripped",
      "1500-0 trade.opened",
      "2000-0 market.tick"
    ])
  })

  it("reads JSON-lines dumps in both forms, merged with a raw one by id", async () => {
    const dir = tempDir()
    const objects = join(dir, "opened.jsonl")
    const arrays = join(dir, "closed.jsonl")
    const raw = join(dir, "ticks.txt")
    writeFileSync(objects, JSON.stringify({ id: "2000-0", fields: { event_type: "trade.opened", payload: "{}" } }) + "\n")
    writeFileSync(arrays, JSON.stringify(["2000-0", ["event_type", "trade.closed", "payload", "{}"]]) + "\n" + JSON.stringify(["1000-0", ["event_type"]]) + "\n")
    writeFileSync(raw, "1500-0\nevent_type\nmarket.tick\npayload\n{}\n2000-0\nevent_type\nmarket.tick\npayload\n{}\n")
    expect(await Promise.all([objects, arrays, raw].map(EventSource.detect))).toEqual(["redis-json", "redis-json", "redis-raw"])
    const out: Array<string> = []
    for await (const batch of await EventSource.open([arrays, raw, objects])) for (const r of batch) {
      out.push(r._tag === "Entry" ? `${r.id} ${r.envelope["event_type"]}` : `bad ${r.source === arrays ? "closed" : "?"}:${r.line}`)
    }
    expect(out).toEqual(["1500-0 market.tick", "2000-0 trade.opened", "2000-0 trade.closed", "bad closed:2", "2000-0 market.tick"])
  })

  it("reads a raw dump cut short as a bad line at the entry's id line", async () => {
    const dir = tempDir()
    const file = join(dir, "cut.txt")
    writeFileSync(file, "1000-0\nevent_type\nmarket.tick\npayload\n{}\n1001-0\nevent_type\nmarket.tick\npayload\n")
    const out: Array<EventSource.Record_> = []
    for await (const r of EventSource.rawDump(file)) out.push(r)
    expect(out.map((r) => [r._tag, r.line])).toEqual([["Entry", 1], ["BadLine", 6]])
  })
})
