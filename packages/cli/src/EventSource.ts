/**
 * Where a backtest's events come from, read as a stream of records — never a whole file in
 * memory: files are read in chunks (gzip inflated on the way, recognised by its magic bytes),
 * cut into lines, and each line (or each dump entry) becomes one {@link Entry} that names its
 * file and line, or one {@link BadLine} that says what is wrong with it. Records come a
 * {@link Batch} at a time (a chunk's worth), so a replay awaits once per chunk, not per event.
 *
 * Two kinds of file, recognised by their first non-empty line:
 *
 * - **JSON lines of envelopes**: one bus envelope per line (`{"event_type": …, "payload": …}`,
 *   the payload a JSON string or an object; flat entries too). Several such files are read one
 *   after the other, in the order given.
 * - **Redis stream dumps**: what `redis-cli --raw XRANGE <stream> - +` prints (an id line, then
 *   a line per field name and per value), or one entry per JSON line (`{"id": "…", "fields":
 *   {…}}`, or `["<id>", ["field", "value", …]]` as a client returns it). Several dumps — one per
 *   stream — are merged by entry id exactly as the live consumer orders the streams (see
 *   `StreamOrder` in `@portfolio/adapters-redis`: milliseconds, then opened < executed < closed <
 *   tick < ess, then sequence).
 *
 * @since 0.1.0
 */
import type { StreamOrder as StreamOrderModule } from "@portfolio/adapters-redis"
import { Data } from "effect"
import { createReadStream, openSync, readSync, closeSync, statSync } from "node:fs"
import { createGunzip } from "node:zlib"

/** One event read: its raw envelope (an object), and where it was read. */
export interface Entry {
  readonly _tag: "Entry"
  readonly source: string
  /** 1-based line of the envelope (of the entry's id line in a raw dump). */
  readonly line: number
  readonly envelope: Record<string, unknown>
  /** The stream entry id, for entries of a dump. */
  readonly id?: string | undefined
}

/** A line that holds no event: not JSON, not an object, a dump entry cut short. */
export interface BadLine {
  readonly _tag: "BadLine"
  readonly source: string
  readonly line: number
  readonly reason: string
}

/** What reading yields, in replay order. */
export type Record_ = Entry | BadLine

/**
 * Records in replay order, a batch at a time (the records of one chunk of a file, a page of
 * dump entries): a reader awaits once per batch, not once per record.
 */
export type Batch = ReadonlyArray<Record_>

/** A file that cannot be replayed at all (unreadable, or dumps mixed with envelope files). */
export class SourceError extends Data.TaggedError("SourceError")<{ readonly source: string; readonly reason: string }> {
  override get message(): string {
    return `${this.source}: ${this.reason}`
  }
}

/** The kind of a file, from its first non-empty line. */
export type Kind = "envelopes" | "redis-raw" | "redis-json"

const ID = /^\d+(-\d+)?$/

/** The kind a first line announces. */
export const kindOf = (firstLine: string): Kind => {
  const line = firstLine.trim()
  if (ID.test(line)) return "redis-raw"
  if (line.startsWith("[")) return "redis-json"
  if (line.startsWith("{")) {
    try {
      const value = JSON.parse(line) as Record<string, unknown>
      if (typeof value === "object" && value !== null && typeof value["id"] === "string" && "fields" in value && !("event_type" in value)) {
        return "redis-json"
      }
    } catch {
      // A corrupt first line of an envelope file: reported by the reader with its number.
    }
  }
  return "envelopes"
}

/** Progress of reading: bytes read from disk so far (compressed bytes for gzip). */
export interface Progress {
  bytesRead: number
}

const isGzip = (path: string): boolean => {
  const fd = openSync(path, "r")
  try {
    const head = Buffer.alloc(2)
    const n = readSync(fd, head, 0, 2, 0)
    return n === 2 && head[0] === 0x1f && head[1] === 0x8b
  } finally {
    closeSync(fd)
  }
}

/** Total size on disk of the files, bytes: what progress is measured against. */
export const totalBytes = (paths: ReadonlyArray<string>): number => paths.reduce((n, p) => n + statSync(p).size, 0)

/**
 * The lines of a file in batches, read in 64 KiB chunks (inflated when gzip): each batch holds
 * the complete lines of one chunk, in order, so that a reader loops over them without awaiting
 * between two lines. Lines are numbered from 1 across the batches; a final line without a
 * newline is the last batch. Memory holds one chunk and its lines.
 */
export async function* lineBatches(path: string, progress?: Progress): AsyncGenerator<Array<string>> {
  const file = createReadStream(path, { highWaterMark: 1 << 16 })
  let counted = 0
  const input = isGzip(path) ? file.pipe(createGunzip()) : file
  input.setEncoding("utf8")
  file.on("error", (e) => input.destroy(e))
  let rest = ""
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      if (progress !== undefined) {
        progress.bytesRead += file.bytesRead - counted
        counted = file.bytesRead
      }
      const batch: Array<string> = []
      let start = 0
      let text = rest === "" ? chunk : rest + chunk
      for (;;) {
        const nl = text.indexOf("\n", start)
        if (nl < 0) break
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl
        batch.push(text.slice(start, end))
        start = nl + 1
      }
      rest = start === 0 ? text : text.slice(start)
      text = ""
      if (batch.length > 0) yield batch
    }
    if (rest !== "") yield [rest.endsWith("\r") ? rest.slice(0, -1) : rest]
  } finally {
    file.destroy()
  }
}

/** The lines of a file one by one, numbered from 1 (see {@link lineBatches}). */
export async function* lines(path: string, progress?: Progress): AsyncGenerator<readonly [number, string]> {
  let n = 0
  for await (const batch of lineBatches(path, progress)) for (const text of batch) yield [++n, text]
}

const firstLine = async (path: string): Promise<string | undefined> => {
  for await (const [, text] of lines(path)) if (text.trim() !== "") return text
  return undefined
}

/** The kind of each file (an empty file reads as envelopes: it holds none). */
export const detect = async (path: string): Promise<Kind> => {
  const first = await firstLine(path)
  return first === undefined ? "envelopes" : kindOf(first)
}

const describeJsonError = (error: unknown): string =>
  `not JSON (${error instanceof Error ? error.message : String(error)}): a truncated or corrupt line`

/** Whether a line holds nothing but white space (a line that opens with `{` is not trimmed). */
const isBlank = (text: string): boolean => text.length === 0 || (text.charCodeAt(0) !== 123 && text.trim() === "")

/** The record of one line of an envelope file (`undefined` for a blank line). */
const envelopeOf = (path: string, line: number, text: string): Record_ | undefined => {
  if (isBlank(text)) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return { _tag: "BadLine", source: path, line, reason: describeJsonError(error) }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { _tag: "BadLine", source: path, line, reason: `not an envelope: a JSON ${value === null ? "null" : Array.isArray(value) ? "array" : typeof value}` }
  }
  return { _tag: "Entry", source: path, line, envelope: value as Record<string, unknown> }
}

/** Envelopes, one per line, a batch per chunk read (see {@link lineBatches}); blank lines are skipped. */
export async function* envelopes(path: string, progress?: Progress): AsyncGenerator<Batch> {
  let line = 0
  for await (const texts of lineBatches(path, progress)) {
    const batch: Array<Record_> = []
    for (let i = 0; i < texts.length; i++) {
      const record = envelopeOf(path, ++line, texts[i]!)
      if (record !== undefined) batch.push(record)
    }
    if (batch.length > 0) yield batch
  }
}

const fieldsOf = (flat: ReadonlyArray<unknown>): Record<string, unknown> | string => {
  if (flat.length % 2 !== 0) return "an odd number of field names and values"
  const out: Record<string, unknown> = {}
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]
    if (typeof name !== "string") return `field name ${i / 2 + 1} is not a string`
    out[name] = flat[i + 1]
  }
  return out
}

/** Dump entries, one per JSON line: `{"id","fields"}` (fields an object or a flat list) or `[id, [f, v, …]]`. */
export async function* jsonDump(path: string, progress?: Progress): AsyncGenerator<Record_> {
  for await (const [line, text] of lines(path, progress)) {
    if (text.trim() === "") continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (error) {
      yield { _tag: "BadLine", source: path, line, reason: describeJsonError(error) }
      continue
    }
    let id: unknown
    let fields: unknown
    if (Array.isArray(value)) [id, fields] = value
    else if (typeof value === "object" && value !== null) ({ id, fields } = value as { id?: unknown; fields?: unknown })
    if (typeof id !== "string" || !ID.test(id)) {
      yield { _tag: "BadLine", source: path, line, reason: "not a stream entry: no id <ms>-<seq>" }
      continue
    }
    const record = Array.isArray(fields) ? fieldsOf(fields) : typeof fields === "object" && fields !== null ? (fields as Record<string, unknown>) : "no fields"
    if (typeof record === "string") {
      yield { _tag: "BadLine", source: path, line, reason: `entry ${id}: ${record}` }
      continue
    }
    yield { _tag: "Entry", source: path, line, envelope: record, id }
  }
}

/**
 * Entries of `redis-cli --raw XRANGE` output: an id line, then field and value lines in turn;
 * a line in a field name's place that is an id starts the next entry. An entry left with a
 * field and no value (a file cut short) is a bad line at its id.
 */
export async function* rawDump(path: string, progress?: Progress): AsyncGenerator<Record_> {
  let id: string | undefined
  let idLine = 0
  let fields: Record<string, unknown> = {}
  let name: string | undefined
  for await (const [line, text] of lines(path, progress)) {
    if (name === undefined && ID.test(text.trim())) {
      if (id !== undefined) yield { _tag: "Entry", source: path, line: idLine, envelope: fields, id }
      id = text.trim()
      idLine = line
      fields = {}
      continue
    }
    if (id === undefined) {
      if (text.trim() === "") continue
      yield { _tag: "BadLine", source: path, line, reason: "expected a stream entry id <ms>-<seq>" }
      continue
    }
    if (name === undefined) name = text
    else {
      fields[name] = text
      name = undefined
    }
  }
  if (id !== undefined) {
    if (name !== undefined) yield { _tag: "BadLine", source: path, line: idLine, reason: `entry ${id} is cut short: field ${name} has no value` }
    else yield { _tag: "Entry", source: path, line: idLine, envelope: fields, id }
  }
}

/** The records of one dump file of the given kind, one by one (what {@link merge} takes). */
export const readDump = (path: string, kind: Exclude<Kind, "envelopes">, progress?: Progress): AsyncGenerator<Record_> =>
  kind === "redis-json" ? jsonDump(path, progress) : rawDump(path, progress)

/** Records one by one gathered into batches of up to `size`, each yielded when full or at the end. */
export async function* batched(records: AsyncIterable<Record_>, size = 1_024): AsyncGenerator<Batch> {
  let batch: Array<Record_> = []
  for await (const record of records) {
    batch.push(record)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/** The merge key of a dump entry: its id's numbers and its type's rank. */
const keyOf = (StreamOrder: typeof StreamOrderModule, entry: Entry) => {
  const id = StreamOrder.parseId(entry.id ?? "0-0")
  const type = typeof entry.envelope["event_type"] === "string" ? (entry.envelope["event_type"] as string) : ""
  return { ms: id.ms, seq: id.seq, rank: StreamOrder.typeRank(type), type }
}

/**
 * Dumps of several streams merged by entry id, as the live consumer applies them: at each step
 * the smallest head by `StreamOrder.compareKeys`. A bad line goes out as soon as it is read
 * (it holds no id to place it by). Memory: one entry per stream.
 */
export async function* merge(sources: ReadonlyArray<AsyncGenerator<Record_>>): AsyncGenerator<Record_> {
  // Loaded here, not with this module: a replay of envelope files needs no Redis client (ioredis).
  const { StreamOrder } = await import("@portfolio/adapters-redis")
  const heads: Array<{ entry: Entry; key: ReturnType<typeof keyOf> } | undefined> = []
  const advance = async (i: number): Promise<Array<BadLine>> => {
    const bad: Array<BadLine> = []
    for (;;) {
      const next = await sources[i]!.next()
      if (next.done === true) {
        heads[i] = undefined
        return bad
      }
      if (next.value._tag === "BadLine") {
        bad.push(next.value)
        continue
      }
      heads[i] = { entry: next.value, key: keyOf(StreamOrder, next.value) }
      return bad
    }
  }
  for (let i = 0; i < sources.length; i++) yield* await advance(i)
  for (;;) {
    let best = -1
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]
      if (h === undefined) continue
      const b = best < 0 ? undefined : heads[best]!
      if (b === undefined || StreamOrder.compareKeys(h.key, h.key.rank, h.key.type, b.key, b.key.rank, b.key.type) < 0) best = i
    }
    if (best < 0) return
    yield heads[best]!.entry
    yield* await advance(best)
  }
}

async function* concat(sources: ReadonlyArray<() => AsyncGenerator<Batch>>): AsyncGenerator<Batch> {
  for (const source of sources) yield* source()
}

/**
 * Every record of the files, in replay order, in batches: envelope files one after the other,
 * dumps merged by entry id. Fails with {@link SourceError} when envelope files and dumps are
 * mixed.
 *
 * @example
 * for await (const batch of await EventSource.open(["session.jsonl.gz"])) for (const record of batch) …
 */
export const open = async (paths: ReadonlyArray<string>, progress?: Progress): Promise<AsyncGenerator<Batch>> => {
  const kinds = await Promise.all(paths.map(detect))
  const dumps = kinds.filter((k) => k !== "envelopes").length
  if (dumps > 0 && dumps < paths.length) {
    const i = kinds.findIndex((k) => k === "envelopes")
    throw new SourceError({
      source: paths[i]!,
      reason: "holds envelopes while other files are Redis stream dumps: replay envelope files and dumps separately"
    })
  }
  if (dumps === 0) return concat(paths.map((p) => () => envelopes(p, progress)))
  return batched(merge(paths.map((p, i) => readDump(p, kinds[i] as Exclude<Kind, "envelopes">, progress))))
}
