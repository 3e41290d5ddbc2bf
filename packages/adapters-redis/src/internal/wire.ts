/**
 * The layout the Python services use on Redis (DESIGN.md §5): key names, entry fields, and
 * the parsing of stream replies.
 */
import type { Envelope } from "@portfolio/core"

/** The stream of one event type: `<prefix><event_type>`. */
export const streamKey = (prefix: string, eventType: string): string => `${prefix}${eventType}`

/** The consumer group of a service (its bus name: `Account.busName`) for one event type. */
export const groupName = (busName: string, eventType: string): string =>
  `quantum:group:${busName}:${eventType}`

/** The fields of an entry, in the order the Python bus writes them; `timestamp` fills a missing one. */
export const entryFields = (envelope: Envelope, timestamp: string): Array<string> => {
  const fields = [
    "event_type",
    envelope.event_type,
    "payload",
    envelope.payload,
    "trace_id",
    envelope.trace_id,
    "timestamp",
    envelope.timestamp !== undefined && envelope.timestamp !== "" ? envelope.timestamp : timestamp,
    "source",
    envelope.source
  ]
  if (envelope.correlation_id !== undefined) fields.push("correlation_id", envelope.correlation_id)
  return fields
}

/** The fields a dead-lettered entry gets on top of its own. */
export const deadLetterFieldNames: ReadonlySet<string> = new Set(["error", "failed_at", "original_id"])

/** An entry as Redis replies it: its id and its flat fields, `null` when it was trimmed away while pending. */
export type ReplyEntry = readonly [id: string, fields: ReadonlyArray<string> | null]

/** The fields of an entry as a record. */
export const toRecord = (flat: ReadonlyArray<string>): Record<string, string> => {
  const record: Record<string, string> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i]!] = flat[i + 1]!
  return record
}

/** The entries of an `XREADGROUP` reply for one stream (none when the reply is `null`). */
export const entriesOf = (reply: unknown): ReadonlyArray<ReplyEntry> => {
  if (!Array.isArray(reply) || reply.length === 0) return []
  const [, entries] = reply[0] as [unknown, unknown]
  return Array.isArray(entries) ? (entries as Array<ReplyEntry>) : []
}

/** The field-value pairs of a flat reply (`XINFO`), values as Redis gave them. */
export const toFieldMap = (flat: ReadonlyArray<unknown>): Map<string, unknown> => {
  const map = new Map<string, unknown>()
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), flat[i + 1])
  return map
}

/**
 * Acknowledges an entry and, only when it was still pending, copies it to the dead-letter
 * stream: `KEYS = [stream, dlq]`, `ARGV = [group, id, maxlen, field, value, …]`. Returns 1 when
 * the entry was parked, 0 when someone had settled it already.
 */
export const deadLetterScript = `
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 1 then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', unpack(ARGV, 4))
end
return acked
`
