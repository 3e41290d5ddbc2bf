/**
 * Encoding a long list of flat records as JSON when few of them change between two encodings
 * (10 000 positions, a price of one symbol moved): each record's JSON is kept under its key
 * and written again only when a field differs. The text is exactly `JSON.stringify`'s.
 */

/**
 * A record of the list: its fields are primitives (a nested value is compared by reference), and
 * every record of one list has the same fields.
 */
type Flat = Readonly<Record<string, unknown>>

interface Kept {
  readonly source: Flat
  /** The source's field names, in order. */
  readonly fields: ReadonlyArray<string>
  /** The record's JSON text, UTF-8, followed by a comma (the last record of a list drops it). */
  readonly json: Buffer
  seen: number
}

const OPEN = Buffer.from("[")
const EMPTY = Buffer.from("[]")

/** A JSON text in pieces: its buffers, their total length, and whether its last byte is a comma that stands for `]`. */
export interface Parts {
  readonly buffers: ReadonlyArray<Buffer>
  readonly length: number
  readonly trailingComma: boolean
}

/** One buffer of `parts` (the trailing comma turned into the closing bracket), with `before` and `after` around it. */
const assemble = (parts: Parts, before?: Buffer, after?: Buffer): Buffer => {
  const list = [...(before === undefined ? [] : [before]), ...parts.buffers, ...(after === undefined ? [] : [after])]
  const out = Buffer.concat(list, parts.length + (before?.length ?? 0) + (after?.length ?? 0))
  if (parts.trailingComma) out[(before?.length ?? 0) + parts.length - 1] = 0x5d
  return out
}

/**
 * Whether `record` has the kept record's values in each of its fields. The records of one list
 * have one shape (built by one function, as a valuation's positions are): the kept record's
 * field names, read once when it was kept, stand for both. `===` is enough: equal values write
 * equal text, and a value unequal to itself (NaN) only costs a re-encoding.
 */
const sameFields = (kept: Kept, record: Flat): boolean => {
  const a = kept.source
  if (a === record) return true
  const fields = kept.fields
  for (let i = 0; i < fields.length; i++) {
    const k = fields[i]!
    if (a[k] !== record[k]) return false
  }
  return true
}

/** An encoder of lists of records keyed by `keyOf`; holds the JSON of the last list's records. */
export class ListEncoder {
  private readonly kept = new Map<string, Kept>()
  /** The last list's entries in order: a list in the same order as the last one needs no lookup. */
  private last: Array<Kept> = []
  private pass = 0

  constructor(private readonly keyOf: (record: Flat) => string) {}

  /**
   * The UTF-8 bytes of `JSON.stringify(records)`, reusing the bytes of every record unchanged
   * since the last call: the list is assembled from the records' bytes in one copy, never as
   * one long string (3 MB for 10 000 positions).
   */
  encode(records: ReadonlyArray<Flat>): Buffer {
    return assemble(this.parts(records))
  }

  /**
   * The bytes of `JSON.stringify(records)` as parts to concatenate (the last record's comma
   * dropped by {@link assemble}): what {@link encodeWithList} puts between its head and tail
   * with a single copy.
   */
  parts(records: ReadonlyArray<Flat>): Parts {
    const pass = ++this.pass
    const parts = new Array<Buffer>(records.length + 1)
    parts[0] = OPEN
    let length = 1
    const last = this.last
    const order = new Array<Kept>(records.length)
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!
      const key = this.keyOf(record)
      const previous = last[i]
      const hit = previous !== undefined && this.keyOf(previous.source) === key ? previous : this.kept.get(key)
      let entry: Kept
      if (hit !== undefined && hit.seen !== pass && sameFields(hit, record)) {
        hit.seen = pass
        entry = hit
      } else {
        entry = { source: record, fields: Object.keys(record), json: Buffer.from(JSON.stringify(record) + ","), seen: pass }
        // A key seen twice in one list keeps its first record's text.
        if (hit === undefined || hit.seen !== pass) this.kept.set(key, entry)
      }
      order[i] = entry
      parts[i + 1] = entry.json
      length += entry.json.length
    }
    // Forget records no longer listed, so the cache holds one list's worth.
    if (this.kept.size > records.length) for (const [k, v] of this.kept) if (v.seen !== pass) this.kept.delete(k)
    this.last = order
    return records.length === 0 ? { buffers: [EMPTY], length: 2, trailingComma: false } : { buffers: parts, length, trailingComma: true }
  }

  /** How many records' texts are kept. */
  get size(): number {
    return this.kept.size
  }
}

const SENTINEL = "\u0000list\u0000"
const SENTINEL_JSON = JSON.stringify(SENTINEL)

/** The UTF-8 bytes of `JSON.stringify(object)`, with `object[field]` (a list) encoded by `list`; one copy of the bytes. */
export const encodeWithList = (object: Flat, field: string, list: ListEncoder): Buffer => {
  const records = object[field] as ReadonlyArray<Flat>
  const shell = JSON.stringify({ ...object, [field]: SENTINEL })
  const at = shell.indexOf(`${JSON.stringify(field)}:${SENTINEL_JSON}`) + JSON.stringify(field).length + 1
  return assemble(list.parts(records), Buffer.from(shell.slice(0, at)), Buffer.from(shell.slice(at + SENTINEL_JSON.length)))
}
