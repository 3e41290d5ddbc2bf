/**
 * The wire contract with the original Python services, end to end (issue 11, "Contract test"):
 * a real `redis-server` on a free port, the real service as a child process on a SQLite file
 * in a temporary directory.
 *
 * - Every valid entry of core's `python-entries.json` (written with Python's own `json.dumps`,
 *   `str()` and `isoformat()`: payload form and flat form, string numbers, naive times, extra
 *   fields) is `XADD`ed to `quantum:stream:<type>` as the Python services write it; every
 *   invalid one too, and each must land in `quantum:dlq:<type>` with an `error` naming its
 *   field.
 * - Every payload published on the four `quantum:stream:portfolio.*` streams, and the answers
 *   of `GET /api/portfolio/{snapshot,pnl,exposure,drawdown}`, are checked against the original's
 *   output models (`fixtures/original-models.json`, from the seed spec): every field present
 *   with its JSON type, integers where the model says int, no `null`/`NaN`/`Infinity` where it
 *   says float; extra fields are allowed (we send a superset).
 */
import { RedisServer } from "@portfolio/adapters-redis/testing"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import * as Http from "./support/Http.js"
import * as ServerProcess from "./support/ServerProcess.js"
import * as Streams from "./support/Streams.js"
import { waitFor } from "./support/WaitFor.js"

interface Entries {
  readonly valid: ReadonlyArray<{ readonly name: string; readonly entry: Record<string, string> }>
  readonly invalid: ReadonlyArray<{
    readonly name: string
    readonly entry: Record<string, string>
    readonly options?: { readonly streamType?: string }
    readonly paths: ReadonlyArray<string>
  }>
}

interface Models {
  readonly enums: Record<string, ReadonlyArray<string>>
  readonly models: Record<string, Record<string, string>>
  readonly events: Record<string, { readonly model: string; readonly fields: Record<string, string> }>
  readonly endpoints: Record<string, string>
}

const entries = JSON.parse(
  readFileSync(new URL("../../core/test/fixtures/python-entries.json", import.meta.url), "utf8")
) as Entries
const original = JSON.parse(readFileSync(new URL("./fixtures/original-models.json", import.meta.url), "utf8")) as Models

const INCOMING = ["trade.opened", "trade.closed", "order.executed", "ess.tripped", "market.tick"] as const
const OUTGOING = Object.keys(original.events)

const show = (v: unknown): string =>
  typeof v === "number" && !Number.isFinite(v) ? String(v) : v === undefined ? "absent" : JSON.stringify(v)

/** What is wrong with `value` as a value of JSON type `type` at `path` (nothing when it fits). */
const violationsOf = (value: unknown, type: string, path: string): Array<string> => {
  const bad = (expected: string) => [`${path}: expected ${expected}, got ${show(value)}`]
  if (type === "number") return typeof value === "number" && Number.isFinite(value) ? [] : bad("a finite number (float)")
  if (type === "integer") return typeof value === "number" && Number.isInteger(value) ? [] : bad("an integer (int)")
  if (type === "string") return typeof value === "string" ? [] : bad("a string")
  if (type.startsWith("enum:")) {
    const values = original.enums[type.slice(5)]!
    return typeof value === "string" && values.includes(value) ? [] : bad(`one of ${values.join("/")}`)
  }
  if (type.startsWith("array:")) {
    if (!Array.isArray(value)) return bad(`an array of ${type.slice(6)}`)
    return value.flatMap((item, i) => violationsOfModel(item, original.models[type.slice(6)]!, `${path}[${i}]`))
  }
  if (type.startsWith("object:")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return bad(`an object of ${type.slice(7)}`)
    return Object.entries(value).flatMap(([k, v]) => violationsOf(v, type.slice(7), `${path}.${k}`))
  }
  throw new Error(`unknown type ${type} in original-models.json`)
}

/** What is wrong with `value` as an instance of the model with `fields` (extra fields allowed). */
const violationsOfModel = (value: unknown, fields: Record<string, string>, path: string): Array<string> => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path}: expected an object, got ${show(value)}`]
  const record = value as Record<string, unknown>
  return Object.entries(fields).flatMap(([name, type]) => violationsOf(record[name], type, `${path}.${name}`))
}

/** An entry with no time anywhere: no `timestamp` field, and a payload (if any) without one. */
const hasNoTime = (entry: Record<string, string>): boolean => {
  if (entry["timestamp"] !== undefined) return false
  if (entry["payload"] === undefined) return true
  try {
    const payload = JSON.parse(entry["payload"]) as Record<string, unknown>
    return payload["timestamp"] === undefined
  } catch {
    return false
  }
}

const connect = (port: number) =>
  Effect.acquireRelease(Effect.promise(() => Streams.Pipe.connect(port)), (pipe) => Effect.sync(() => pipe.close()))

type RawEntry = readonly [string, ReadonlyArray<string>]

const xrange = (pipe: Streams.Pipe, key: string) =>
  Effect.promise(async () => {
    const reply = (await pipe.command("XRANGE", key, "-", "+")) as ReadonlyArray<RawEntry>
    return reply.map(([id, flat]) => {
      const fields: Record<string, string> = {}
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
      return { id, fields }
    })
  })

const xadd = (pipe: Streams.Pipe, type: string, entry: Record<string, string>) =>
  Effect.promise(() => pipe.command("XADD", Streams.streamOf(type), "*", ...Object.entries(entry).flat())).pipe(
    Effect.map((id) => String(id))
  )

describe("the contract with the original Python services", () => {
  it.scopedLive("consumes the Python entries, dead-letters the bad ones naming the field, and publishes and answers the original's models", () =>
    Effect.gen(function* () {
      const redis = yield* RedisServer.start()
      const pipe = yield* connect(redis.port)
      const dir = yield* ServerProcess.tempDir
      const server = yield* ServerProcess.start({
        PORTFOLIO_REDIS_URL: redis.url,
        PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "portfolio.db"),
        PORTFOLIO_REDIS_BLOCK_MS: "100",
        PORTFOLIO_SNAPSHOT_INTERVAL: "0.5",
        PORTFOLIO_SNAPSHOT_THROTTLE_MS: "0",
        PORTFOLIO_ORPHAN_GRACE: "1",
        PORTFOLIO_HTTP_LOG_REQUESTS: "false"
      })

      // Every valid entry, in the fixture's order, exactly as written by the Python services;
      // known by stream and id (two streams give the same id to entries of the same millisecond).
      const validIds = new Set<string>()
      for (const f of entries.valid) validIds.add(`${f.entry["event_type"]} ${yield* xadd(pipe, f.entry["event_type"]!, f.entry)}`)

      // Every invalid entry on the stream it is read from. An event type no one consumes has no
      // group to read it, hence no dead letter: the decoder's own test covers it. An entry with
      // no time anywhere is invalid only to a decoder without a fallback time: the service
      // decodes with the time of arrival (`defaultTime`, `timed: false`), so it must be applied
      // (or counted a duplicate), never dead-lettered.
      const invalid: Array<{ readonly name: string; readonly id: string; readonly streamType: string; readonly paths: ReadonlyArray<string> }> = []
      const untimed: Array<{ readonly name: string; readonly id: string; readonly streamType: string }> = []
      for (const f of entries.invalid) {
        const streamType = f.options?.streamType ?? f.entry["event_type"]!
        if (!(INCOMING as ReadonlyArray<string>).includes(streamType)) continue
        const id = yield* xadd(pipe, streamType, f.entry)
        if (hasNoTime(f.entry)) untimed.push({ name: f.name, id, streamType })
        else invalid.push({ name: f.name, id, streamType, paths: f.paths })
      }
      expect(invalid.length + untimed.length).toBe(entries.invalid.length - 1)
      expect(untimed.length).toBe(1)

      yield* waitFor(Effect.promise(() => Streams.consumed(pipe, INCOMING)), (done) => done, "every entry to be consumed", "40 seconds")
      // Snapshots and exposures come every 0.5 s; PnL on the closes; drawdown on `ess.tripped`.
      const published = yield* waitFor(
        Effect.forEach(OUTGOING, (type) => xrange(pipe, Streams.streamOf(type))),
        (all) => all.every((es) => es.length > 0),
        "an entry on each of the four portfolio.* streams",
        "30 seconds"
      )

      // Every published payload against its original model.
      const eventViolations: Array<string> = []
      for (const [i, type] of OUTGOING.entries()) {
        const { model, fields } = original.events[type]!
        for (const { id, fields: entry } of published[i]!) {
          const where = `${type} ${id}`
          if (entry["event_type"] !== type) eventViolations.push(`${where}: event_type ${show(entry["event_type"])}`)
          let payload: unknown
          try {
            payload = JSON.parse(entry["payload"] ?? "")
          } catch (e) {
            eventViolations.push(`${where}: payload is not JSON (${String(e)}): ${entry["payload"]?.slice(0, 200)}`)
            continue
          }
          eventViolations.push(...violationsOfModel(payload, { ...original.models[model]!, ...fields }, where))
        }
      }
      expect.soft(eventViolations).toEqual([])
      // The snapshots checked carried positions, so PositionInfo was checked too.
      const snapshots = published[OUTGOING.indexOf("portfolio.snapshot_updated")]!
      expect.soft(snapshots.some((s) => (JSON.parse(s.fields["payload"]!) as { positions: ReadonlyArray<unknown> }).positions.length > 0)).toBe(true)

      // Dead letters: each invalid entry parked once on its stream's DLQ, its error naming the field; no valid one.
      const dlqViolations: Array<string> = []
      const dead = new Map<string, Record<string, string>>()
      for (const type of INCOMING) {
        for (const { fields } of yield* xrange(pipe, `quantum:dlq:${type}`)) dead.set(`${type} ${fields["original_id"]}`, fields)
      }
      for (const f of invalid) {
        const parked = dead.get(`${f.streamType} ${f.id}`)
        if (parked === undefined) {
          dlqViolations.push(`${f.name}: not in quantum:dlq:${f.streamType}`)
          continue
        }
        for (const path of f.paths) {
          if (!(parked["error"] ?? "").includes(`${path}: `)) dlqViolations.push(`${f.name}: error does not name ${path}: ${show(parked["error"])}`)
        }
      }
      for (const f of untimed) {
        if (dead.has(`${f.streamType} ${f.id}`)) dlqViolations.push(`${f.name}: dead-lettered, though the service reads it at its time of arrival: ${show(dead.get(`${f.streamType} ${f.id}`)!["error"])}`)
      }
      for (const key of dead.keys()) {
        if (validIds.has(key)) dlqViolations.push(`a valid entry was dead-lettered: ${key} ${show(dead.get(key)!["error"])}`)
      }
      expect.soft(dlqViolations).toEqual([])

      // The HTTP answers against the same models.
      const httpViolations: Array<string> = []
      for (const [path, model] of Object.entries(original.endpoints)) {
        const answer = yield* Http.get(server.url, path)
        if (answer.status !== 200) {
          httpViolations.push(`GET ${path}: status ${answer.status}: ${answer.text.slice(0, 200)}`)
          continue
        }
        httpViolations.push(...violationsOfModel(answer.body, original.models[model]!, `GET ${path}`))
      }
      expect.soft(httpViolations).toEqual([])
    }), 120_000)
})
