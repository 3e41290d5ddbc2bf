/**
 * Encoding a long list of flat records as JSON when few of them change between two encodings
 * (10 000 positions, a price of one symbol moved): each record's JSON is kept under its key
 * and written again only when a field differs. The text is exactly `JSON.stringify`'s.
 */

/** A record of the list: its fields are primitives (a nested value is compared by reference). */
type Flat = Readonly<Record<string, unknown>>

interface Kept {
  readonly source: Flat
  readonly json: string
  seen: number
}

const sameFields = (a: Flat, b: Flat): boolean => {
  if (a === b) return true
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!
    if (k !== kb[i] || !Object.is(a[k], b[k])) return false
  }
  return true
}

/** An encoder of lists of records keyed by `keyOf`; holds the JSON of the last list's records. */
export class ListEncoder {
  private readonly kept = new Map<string, Kept>()
  private pass = 0

  constructor(private readonly keyOf: (record: Flat) => string) {}

  /** `JSON.stringify(records)`, reusing the text of every record unchanged since the last call. */
  encode(records: ReadonlyArray<Flat>): string {
    const pass = ++this.pass
    const parts = new Array<string>(records.length)
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      const key = this.keyOf(record)
      const hit = this.kept.get(key)
      if (hit !== undefined && hit.seen !== pass && sameFields(hit.source, record)) {
        hit.seen = pass
        parts[i] = hit.json
      } else {
        const json = JSON.stringify(record)
        // A key seen twice in one list keeps its first record's text.
        if (hit === undefined || hit.seen !== pass) this.kept.set(key, { source: record, json, seen: pass })
        parts[i] = json
      }
    }
    // Forget records no longer listed, so the cache holds one list's worth.
    if (this.kept.size > records.length) for (const [k, v] of this.kept) if (v.seen !== pass) this.kept.delete(k)
    return `[${parts.join(",")}]`
  }

  /** How many records' texts are kept. */
  get size(): number {
    return this.kept.size
  }
}

const SENTINEL = "\u0000list\u0000"
const SENTINEL_JSON = JSON.stringify(SENTINEL)

/** `JSON.stringify(object)` with `object[field]` (a list) encoded by `list`. */
export const encodeWithList = (object: Flat, field: string, list: ListEncoder): string => {
  const records = object[field] as ReadonlyArray<Flat>
  const shell = JSON.stringify({ ...object, [field]: SENTINEL })
  const at = shell.indexOf(`${JSON.stringify(field)}:${SENTINEL_JSON}`) + JSON.stringify(field).length + 1
  return shell.slice(0, at) + list.encode(records) + shell.slice(at + SENTINEL_JSON.length)
}
