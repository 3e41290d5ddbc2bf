/**
 * Counters of events per type and the most recent rejections, for health and operators.
 */
import type { InvalidEvent } from "../../schema/Envelope.js"
import type { RejectedEvent } from "../../schema/Ingest.js"
import { formatEventTime } from "../../schema/Primitives.js"

const MAX_REJECTIONS = 100
const MAX_FIELD_CHARS = 2_000

/** The counters. Mutable; owned by the service. */
export interface Tally {
  readonly processed: Map<string, number>
  readonly duplicates: Map<string, number>
  readonly ignored: Map<string, number>
  readonly parked: Map<string, number>
  readonly rejected: Map<string, number>
  /** Valid events dead-lettered because the store kept failing. */
  readonly failed: Map<string, number>
  readonly rejections: Array<RejectedEvent>
  publishFailures: number
  readonly count: (map: Map<string, number>, type: string, n?: number) => void
  readonly reject: (error: InvalidEvent, raw: unknown, origin: "bus" | "http", busId: string | null, at: number) => void
}

/** A value as JSON for the record of a rejection: never throws (a 100 000-deep value overflows JSON.stringify). */
const stringify = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v)
  } catch (e) {
    return `(not shown: ${(e as Error).message})`
  }
}

const fieldsOf = (raw: unknown): Record<string, string> => {
  const out: Record<string, string> = {}
  if (typeof raw !== "object" || raw === null) return { raw: String(raw).slice(0, MAX_FIELD_CHARS) }
  for (const [k, v] of Object.entries(raw)) {
    const text = typeof v === "string" ? v : stringify(v)
    out[k] = text.length > MAX_FIELD_CHARS ? `${text.slice(0, MAX_FIELD_CHARS)}… (${text.length} characters)` : text
  }
  return out
}

/** New, empty counters. */
export const makeTally = (): Tally => {
  const self: Tally = {
    processed: new Map(),
    duplicates: new Map(),
    ignored: new Map(),
    parked: new Map(),
    rejected: new Map(),
    failed: new Map(),
    rejections: [],
    publishFailures: 0,
    count: (map, type, n = 1) => {
      map.set(type, (map.get(type) ?? 0) + n)
    },
    reject: (error, raw, origin, busId, at) => {
      self.count(self.rejected, error.eventType)
      self.rejections.push({
        event_type: error.eventType,
        reason: error.reason,
        issues: error.issues,
        origin,
        bus_id: busId,
        rejected_at: formatEventTime(at),
        fields: fieldsOf(raw)
      })
      if (self.rejections.length > MAX_REJECTIONS) self.rejections.shift()
    }
  }
  return self
}

/** A counter map as a plain record. */
export const toRecord = (map: Map<string, number>): Record<string, number> => Object.fromEntries(map)
