/**
 * Load for the pipeline tests and benchmark (`test/Pipeline.test.ts`, `bench/pipeline.ts`):
 *
 * - {@link mixed}: a deterministic stream of events as the Python services write them —
 *   opens, partial and full closes, fills and ticks (30 % / 70 %), every close after its open
 *   in the global order, prices in quarters and even quantities so every PnL is exact;
 * - {@link fieldsOf}: the entry of an event in the Python layout (`event_type`, `payload` as a
 *   JSON string, `trace_id` = `seq-<n>`, `timestamp` without zone, `source`);
 * - {@link Pipe}: a raw RESP connection that pipelines many commands in one write and counts
 *   the replies, so a test knows which `XADD`s were acknowledged when the server dies;
 * - {@link groupInfo}: a consumer group's `pending`, `entries-read` and `lag` (`XINFO GROUPS`).
 */
import { createConnection, type Socket } from "node:net"

/** One event to write, with its place in the global order. */
export interface BusEvent {
  readonly seq: number
  readonly type: "trade.opened" | "trade.closed" | "order.executed" | "market.tick"
  readonly payload: Record<string, unknown>
}

/** Python's `datetime.utcnow().isoformat()`: microseconds, no zone. */
export const pythonTime = (ms: number): string => new Date(ms).toISOString().replace("Z", "000")

/** A fixed day in the past (2024-03-05 12:00 UTC), so no figure depends on the run's date. */
export const BASE = Date.UTC(2024, 2, 5, 12, 0, 0)

/** A price in quarters (exact in binary), 100 … 199.75. */
export const priceAt = (i: number): number => 100 + ((i * 37) % 400) / 4

const SYMBOLS = 25

/**
 * `count` events from `seq` `from` on, in cycles of 20: at slot 0 trade `<prefix><c>a` opens
 * (LONG or SHORT, 2/4/6 units), 5 a fill (`order.executed`, which in trades mode only moves the
 * price), 7 trade `<prefix><c>b` opens (BUY or SELL, 1–4 units), 10 half of `a` closes, 13 the
 * rest of `a` closes (no quantity: all that remains), 16 `b` closes; every other slot is a tick.
 * Each close has its own `close_id`. Event times are `base + seq` ms.
 */
export const mixed = (count: number, options: { readonly prefix: string; readonly base?: number; readonly from?: number }): Array<BusEvent> => {
  const base = options.base ?? BASE
  const from = options.from ?? 0
  const p = options.prefix
  const out: Array<BusEvent> = []
  for (let seq = from; seq < from + count; seq++) {
    const c = Math.floor(seq / 20)
    const slot = seq % 20
    const timestamp = pythonTime(base + seq)
    const symbol = `SYM${c % SYMBOLS}USDT`
    const qtyA = 2 * (1 + (c % 3))
    switch (slot) {
      case 0:
        out.push({ seq, type: "trade.opened", payload: { trade_id: `${p}${c}a`, symbol, side: c % 2 === 0 ? "LONG" : "SHORT", entry_price: priceAt(seq), quantity: qtyA, leverage: 3, timestamp } })
        break
      case 5:
        out.push({ seq, type: "order.executed", payload: { order_id: `${p}o${c}`, symbol, side: "BUY", quantity: 0.5, price: priceAt(seq), timestamp } })
        break
      case 7:
        out.push({ seq, type: "trade.opened", payload: { trade_id: `${p}${c}b`, symbol, side: c % 2 === 0 ? "SELL" : "BUY", entry_price: priceAt(seq), quantity: 1 + (c % 4), leverage: 2, timestamp } })
        break
      case 10:
        out.push({ seq, type: "trade.closed", payload: { trade_id: `${p}${c}a`, exit_price: priceAt(seq), quantity: qtyA / 2, close_id: `${p}${c}a-1`, timestamp } })
        break
      case 13:
        out.push({ seq, type: "trade.closed", payload: { trade_id: `${p}${c}a`, exit_price: priceAt(seq), close_id: `${p}${c}a-2`, timestamp } })
        break
      case 16:
        out.push({ seq, type: "trade.closed", payload: { trade_id: `${p}${c}b`, exit_price: priceAt(seq), close_id: `${p}${c}b-1`, timestamp } })
        break
      default:
        out.push({ seq, type: "market.tick", payload: { symbol: `SYM${seq % SYMBOLS}USDT`, price: priceAt(seq), timestamp } })
    }
  }
  return out
}

/** `count` ticks over 50 symbols, as a market-data producer writes them. */
export const ticks = (count: number, base: number = BASE): Array<BusEvent> =>
  Array.from({ length: count }, (_, seq) => ({
    seq,
    type: "market.tick" as const,
    payload: { symbol: `SYM${seq % 50}USDT`, price: priceAt(seq), timestamp: pythonTime(base + seq) }
  }))

/** The fields of an event's entry in the Python layout, flattened for `XADD`. */
export const fieldsOf = (e: BusEvent, source = "execution_service"): Array<string> => [
  "event_type", e.type,
  "payload", JSON.stringify(e.payload),
  "trace_id", `seq-${e.seq}`,
  "timestamp", String(e.payload["timestamp"]),
  "source", source
]

/** The envelope of an event as a consumer reads it (for `Backtest.feedEnvelope`). */
export const envelopeOf = (e: BusEvent) => ({
  event_type: e.type,
  payload: JSON.stringify(e.payload),
  trace_id: `seq-${e.seq}`,
  timestamp: String(e.payload["timestamp"]),
  source: "execution_service"
})

/** The stream key of an event type (the default prefix). */
export const streamOf = (type: string): string => `quantum:stream:${type}`

/** The consumer group of an event type (the default service name). */
export const groupOf = (type: string): string => `quantum:group:portfolio_intelligence:${type}`

/** `XADD <stream> [MAXLEN ~ n] * <fields>` of an event. */
export const xaddOf = (e: BusEvent, maxlen?: number): Array<string> => [
  "XADD", streamOf(e.type), ...(maxlen === undefined ? [] : ["MAXLEN", "~", String(maxlen)]), "*", ...fieldsOf(e)
]

// ---------------------------------------------------------------------------------------------
// A pipelining RESP connection.

/** A reply: simple string, error (an `Error`), integer, bulk string (or null), array. */
export type Reply = string | number | null | Error | ReadonlyArray<Reply>

const encode = (args: ReadonlyArray<string>): string => {
  let s = `*${args.length}\r\n`
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`
  return s
}

/** Parses one reply at `at`; `undefined` when the buffer holds only part of it. */
const parse = (buf: Buffer, at: number): { readonly value: Reply; readonly next: number } | undefined => {
  if (at >= buf.length) return undefined
  const eol = buf.indexOf("\r\n", at)
  if (eol === -1) return undefined
  const line = buf.toString("utf8", at + 1, eol)
  switch (buf[at]) {
    case 0x2b: // +
      return { value: line, next: eol + 2 }
    case 0x2d: // -
      return { value: new Error(line), next: eol + 2 }
    case 0x3a: // :
      return { value: Number(line), next: eol + 2 }
    case 0x24: { // $
      const n = Number(line)
      if (n === -1) return { value: null, next: eol + 2 }
      if (buf.length < eol + 2 + n + 2) return undefined
      return { value: buf.toString("utf8", eol + 2, eol + 2 + n), next: eol + 2 + n + 2 }
    }
    case 0x2a: { // *
      const n = Number(line)
      if (n === -1) return { value: null, next: eol + 2 }
      const items: Array<Reply> = []
      let next = eol + 2
      for (let i = 0; i < n; i++) {
        const item = parse(buf, next)
        if (item === undefined) return undefined
        items.push(item.value)
        next = item.next
      }
      return { value: items, next }
    }
    default:
      throw new Error(`unexpected RESP type byte ${buf[at]}`)
  }
}

/** The connection was lost with commands unanswered; `answered` of them had been answered. */
export class PipeClosed extends Error {
  constructor(readonly answered: number) {
    super(`connection closed after ${answered} replies`)
  }
}

/**
 * A connection to `127.0.0.1:port` on which commands are pipelined: `send` writes every
 * command at once and resolves with their replies in order (an error reply is an `Error` in
 * the array, not a rejection). When the connection drops, every `send` still waiting rejects
 * with {@link PipeClosed} saying how many of its commands were answered.
 */
export class Pipe {
  private buf: Buffer = Buffer.alloc(0)
  private readonly waiting: Array<{ readonly expect: number; readonly replies: Array<Reply>; readonly resolve: (r: Array<Reply>) => void; readonly reject: (e: Error) => void }> = []
  private closed = false

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk))
    socket.on("error", () => undefined)
    socket.on("close", () => {
      this.closed = true
      for (const w of this.waiting.splice(0)) w.reject(new PipeClosed(w.replies.length))
    })
  }

  /** Connects (fails when nothing listens). */
  static connect(port: number): Promise<Pipe> {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host: "127.0.0.1", port })
      socket.setNoDelay(true)
      socket.once("connect", () => resolve(new Pipe(socket)))
      socket.once("error", reject)
    })
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    let at = 0
    while (this.waiting.length > 0) {
      const r = parse(this.buf, at)
      if (r === undefined) break
      at = r.next
      const w = this.waiting[0]!
      w.replies.push(r.value)
      if (w.replies.length === w.expect) {
        this.waiting.shift()
        w.resolve(w.replies)
      }
    }
    this.buf = at >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(at)
  }

  /** Sends the commands in one write; their replies in order. */
  send(commands: ReadonlyArray<ReadonlyArray<string>>): Promise<Array<Reply>> {
    if (commands.length === 0) return Promise.resolve([])
    if (this.closed) return Promise.reject(new PipeClosed(0))
    return new Promise((resolve, reject) => {
      this.waiting.push({ expect: commands.length, replies: [], resolve, reject })
      this.socket.write(commands.map(encode).join(""))
    })
  }

  /** One command; an error reply rejects. */
  async command(...args: ReadonlyArray<string>): Promise<Reply> {
    const [reply] = await this.send([args])
    if (reply instanceof Error) throw reply
    return reply!
  }

  close(): void {
    this.socket.destroy()
  }
}

/** A flat `[k, v, k, v]` reply as a record. */
const record = (flat: ReadonlyArray<Reply>): Record<string, Reply> => {
  const r: Record<string, Reply> = {}
  for (let i = 0; i + 1 < flat.length; i += 2) r[String(flat[i])] = flat[i + 1]!
  return r
}

/** The state of a consumer group. */
export interface GroupInfo {
  readonly pending: number
  readonly entriesRead: number | null
  readonly lag: number | null
  readonly lastDeliveredId: string
}

/** `XINFO GROUPS` of a stream: the group `group`, or `undefined` when it (or the stream) does not exist. */
export const groupInfo = async (pipe: Pipe, stream: string, group: string): Promise<GroupInfo | undefined> => {
  const [reply] = await pipe.send([["XINFO", "GROUPS", stream]])
  if (reply instanceof Error || !Array.isArray(reply)) return undefined
  for (const g of reply as ReadonlyArray<ReadonlyArray<Reply>>) {
    const r = record(g)
    if (r["name"] !== group) continue
    return {
      pending: Number(r["pending"]),
      entriesRead: r["entries-read"] === null ? null : Number(r["entries-read"]),
      lag: r["lag"] === null ? null : Number(r["lag"]),
      lastDeliveredId: String(r["last-delivered-id"])
    }
  }
  return undefined
}

/** `XINFO STREAM`'s `entries-added` and `length` (0, 0 when there is no stream). */
export const streamInfo = async (pipe: Pipe, stream: string): Promise<{ readonly added: number; readonly length: number }> => {
  const [reply] = await pipe.send([["XINFO", "STREAM", stream]])
  if (reply instanceof Error || !Array.isArray(reply)) return { added: 0, length: 0 }
  const r = record(reply as ReadonlyArray<Reply>)
  return { added: Number(r["entries-added"]), length: Number(r["length"]) }
}

/**
 * Whether every entry written to each of `types`' streams has been read and acknowledged by the
 * service's group (pending 0, lag 0); a missing group counts as not consumed when its stream
 * has entries.
 */
export const consumed = async (pipe: Pipe, types: ReadonlyArray<string>): Promise<boolean> => {
  for (const type of types) {
    const { length } = await streamInfo(pipe, streamOf(type))
    const g = await groupInfo(pipe, streamOf(type), groupOf(type))
    if (g === undefined) {
      if (length > 0) return false
      continue
    }
    if (g.pending !== 0 || g.lag !== 0) return false
  }
  return true
}
