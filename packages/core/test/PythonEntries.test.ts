/**
 * Entries written as the Python services write them (`fixtures/python-entries.json`, made with
 * Python's own `json.dumps`, `str()` and `datetime.isoformat()`): the payload form and the flat
 * form of all five incoming types, and invalid ones with the fields they must be rejected for.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { readFileSync } from "node:fs"
import { decodeEnvelope, type DecodeOptions } from "../src/schema/Envelope.js"
import { formatEventTime } from "../src/schema/Primitives.js"

interface Fixtures {
  readonly valid: ReadonlyArray<{
    readonly name: string
    readonly entry: Record<string, string>
    readonly options?: DecodeOptions
    readonly decoded: {
      readonly type: string
      readonly at: string
      readonly timed: boolean
      readonly source: string
      readonly traceId: string
      readonly correlationId?: string
      readonly payload: Record<string, unknown>
    }
  }>
  readonly invalid: ReadonlyArray<{ readonly name: string; readonly entry: Record<string, string>; readonly options?: DecodeOptions; readonly paths: ReadonlyArray<string> }>
}

const fixtures = JSON.parse(readFileSync(new URL("./fixtures/python-entries.json", import.meta.url), "utf8")) as Fixtures

describe("entries as the Python services write them", () => {
  it("cover the five types in both forms", () => {
    const forms = new Set(fixtures.valid.map((f) => `${f.entry["event_type"]} ${"payload" in f.entry ? "payload" : "flat"}`))
    for (const type of ["trade.opened", "trade.closed", "order.executed", "ess.tripped", "market.tick"]) {
      expect(forms).toContain(`${type} payload`)
      expect(forms).toContain(`${type} flat`)
    }
  })

  it.each(fixtures.valid.map((f) => [f.name, f] as const))("decodes %s", (_, fixture) => {
    const result = decodeEnvelope(fixture.entry, fixture.options)
    if (Either.isLeft(result)) throw new Error(result.left.message)
    const event = result.right
    const { payload, at, ...rest } = fixture.decoded
    expect({ type: event.type, timed: event.timed, source: event.source, traceId: event.traceId, correlationId: event.correlationId })
      .toEqual({ correlationId: undefined, ...rest })
    expect(formatEventTime(event.at)).toBe(at)
    const decoded = event.payload as Record<string, unknown>
    const times = typeof decoded["timestamp"] === "number" ? { timestamp: formatEventTime(decoded["timestamp"]) } : {}
    expect({ ...decoded, ...times }).toStrictEqual(payload)
  })

  it.each(fixtures.invalid.map((f) => [f.name, f] as const))("rejects %s, naming the field", (_, fixture) => {
    const result = decodeEnvelope(fixture.entry, fixture.options)
    if (Either.isRight(result)) throw new Error(`accepted: ${JSON.stringify(result.right.payload)}`)
    expect([...new Set(result.left.issues.map((i) => i.path))]).toEqual(fixture.paths)
    for (const path of fixture.paths) expect(result.left.reason).toContain(`${path}: `)
    expect(result.left.eventType).toBe(fixture.entry["event_type"])
  })
})
