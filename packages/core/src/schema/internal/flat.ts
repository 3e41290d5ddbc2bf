/**
 * Flat entries (DESIGN.md §5): an entry with no `payload` field is the event whose payload is
 * the entry's fields other than the envelope's (`event_type`, `trace_id`, `correlation_id`,
 * `source`; `timestamp` is both). Redis stores strings only, so a Python producer writes every
 * value as `str(value)` would: numbers as decimal strings (read as numbers are in either form),
 * `None` as `"None"`, booleans as `"True"`/`"False"`. This module turns such an entry into the
 * payload object the schemas read:
 *
 * - `"None"` (exactly: Python's `str(None)`) in a field whose schema takes `null` is `null`; in
 *   any other field it is an absent value — so an optional field is absent, a required one is
 *   reported missing by the schema, and `ess.tripped`'s `reason` takes its default. The same
 *   text in a text field cannot be told from `None`, so it is `None`.
 * - In a boolean field (`reduce_only`), `"True"`/`"true"` are `true` and `"False"`/`"false"`
 *   `false`; anything else there (`"1"`, `"yes"`, `""`) is left as it is, and rejected.
 * - `timestamp: ""` is absent, as an empty envelope `timestamp` is.
 * - Nothing else is read in: `"null"`, `"none"`, `""` in a number field are rejected (not
 *   numbers); in a text field they are that text.
 *
 * The payload form (`payload` a JSON string or object) reads none of these spellings: JSON has
 * `null`, `true` and `false`. Both forms accept numbers as decimal strings.
 * Internal: see `decodeEnvelope`.
 */
import type { IncomingEventType } from "../EventsIn.js"

/** The fields of an entry that belong to the envelope, never to a flat entry's payload. */
export const isEnvelopeField = (name: string): boolean =>
  name === "event_type" || name === "trace_id" || name === "correlation_id" || name === "source" || name === "payload"

/** The fields of each payload whose schema accepts `null` (`test/Flat.test.ts` checks this against the schemas). */
export const nullableFields: { readonly [T in IncomingEventType]: ReadonlySet<string> } = {
  "trade.opened": new Set(["stop_loss", "take_profit", "confidence", "model"]),
  "trade.closed": new Set(["pnl_pct", "duration_sec", "close_reason", "reason", "pnl_usd", "pnl_percent"]),
  "order.executed": new Set(["fee_asset"]),
  "ess.tripped": new Set(["severity", "triggered_by", "drawdown_pct"]),
  "market.tick": new Set(["bid", "ask", "volume"])
}

/** The fields of each payload whose schema is a boolean (checked against the schemas too). */
export const booleanFields: { readonly [T in IncomingEventType]: ReadonlySet<string> } = {
  "trade.opened": new Set(),
  "trade.closed": new Set(),
  "order.executed": new Set(["reduce_only"]),
  "ess.tripped": new Set(),
  "market.tick": new Set()
}

/**
 * The payload of a flat entry of `type`: its own enumerable fields but the envelope's, with
 * Python's spellings read as above. Fields holding `undefined` are left out (absent), and so is
 * an own `__proto__` (no payload has such a field; copying it would change the prototype).
 */
export const flatPayload = (type: IncomingEventType, entry: object): Record<string, unknown> => {
  const nullable = nullableFields[type]
  const booleans = booleanFields[type]
  const payload: Record<string, unknown> = {}
  for (const name of Object.keys(entry)) {
    // `__proto__` is no field of any payload; assigned, it would set the copy's prototype.
    if (isEnvelopeField(name) || name === "__proto__") continue
    let value: unknown = (entry as Record<string, unknown>)[name]
    if (value === undefined) continue
    if (typeof value === "string") {
      if (value === "None") {
        if (!nullable.has(name)) continue
        value = null
      } else if (value === "" && name === "timestamp") {
        continue
      } else if (booleans.has(name)) {
        if (value === "True" || value === "true") value = true
        else if (value === "False" || value === "false") value = false
      }
    }
    payload[name] = value
  }
  return payload
}
