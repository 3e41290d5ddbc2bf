/**
 * The memory of the push streams, as plain data structures (no Effect, no I/O):
 *
 * - a {@link Frame} is one published event, encoded once for every client (the SSE text as
 *   bytes, the WebSocket message as a string);
 * - the {@link Ring} keeps the last `capacity` frames, for `Last-Event-ID` resume, and the
 *   latest frame of each type, for a client's first state;
 * - a {@link Mailbox} is what one client has not been sent yet: at most `bound` frames; when a
 *   frame arrives and it is full, it is compacted to the latest frame of each type first (a slow
 *   client gets the latest state coalesced per type, never an unbounded queue).
 */
import type { OutgoingEventType } from "@portfolio/core"

/** One published event, encoded once for every client. */
export interface Frame {
  /** Its place in this process's sequence (1, 2, …). */
  readonly seq: number
  /** Its SSE `id` (and WebSocket `id`): `<boot>-<seq>`. */
  readonly id: string
  readonly type: OutgoingEventType
  /** `id: …\nevent: …\ndata: <payload JSON>\n\n` as UTF-8. */
  readonly sse: Uint8Array
  /** `{"id":…,"type":…,"payload":…}`. */
  readonly ws: string
}

const encoder = new TextEncoder()

/** The frame of an event: `payloadJson` is its payload as JSON (one line). */
export const frame = (boot: string, seq: number, type: OutgoingEventType, payloadJson: string): Frame => {
  const id = `${boot}-${seq}`
  return {
    seq,
    id,
    type,
    sse: encoder.encode(`id: ${id}\nevent: ${type}\ndata: ${payloadJson}\n\n`),
    ws: `{"id":"${id}","type":"${type}","payload":${payloadJson}}`
  }
}

/** The sequence number of `id` when it was given by this boot, else `undefined`. */
export const seqOf = (boot: string, id: string | undefined): number | undefined => {
  if (id === undefined || !id.startsWith(`${boot}-`)) return undefined
  const text = id.slice(boot.length + 1)
  if (!/^[0-9]{1,15}$/.test(text)) return undefined
  return Number(text)
}

/** The last frames published, oldest first, and the latest of each type. */
export class Ring {
  private frames: Array<Frame> = []
  private readonly latest = new Map<OutgoingEventType, Frame>()
  constructor(readonly capacity: number) {}

  /** Keeps `f`, forgetting the oldest frame past the capacity. */
  push(f: Frame): void {
    this.frames.push(f)
    this.latest.set(f.type, f)
    // Amortized: trimmed by whole halves, not one shift per frame.
    if (this.frames.length >= 2 * this.capacity) this.frames = this.frames.slice(-this.capacity)
  }

  /** How many frames are kept. */
  get size(): number {
    return Math.min(this.frames.length, this.capacity)
  }

  /** The sequence number of the last frame (0 before any). */
  get lastSeq(): number {
    return this.frames.length === 0 ? 0 : this.frames[this.frames.length - 1]!.seq
  }

  /**
   * The frames after `seq` of the given types, oldest first, when the ring still holds every
   * frame after `seq`; `undefined` when some were forgotten (or `seq` is from the future).
   */
  after(seq: number, types: ReadonlySet<string>): ReadonlyArray<Frame> | undefined {
    const kept = this.frames.slice(-this.capacity)
    const oldest = kept.length === 0 ? this.lastSeq + 1 : kept[0]!.seq
    if (seq < oldest - 1 || seq > this.lastSeq) return undefined
    return kept.filter((f) => f.seq > seq && types.has(f.type))
  }

  /** Whether a frame of `type` was ever kept. */
  has(type: OutgoingEventType): boolean {
    return this.latest.has(type)
  }

  /** The latest frame of each of the given types, in publication order. */
  latestOf(types: ReadonlySet<string>): ReadonlyArray<Frame> {
    return [...this.latest.values()].filter((f) => types.has(f.type)).sort((a, b) => a.seq - b.seq)
  }
}

/** The latest frame of each type among `frames`, in their order. */
export const coalesce = (frames: ReadonlyArray<Frame>): Array<Frame> => {
  const seen = new Set<string>()
  const out: Array<Frame> = []
  for (let i = frames.length - 1; i >= 0; i--) {
    const f = frames[i]!
    if (seen.has(f.type)) continue
    seen.add(f.type)
    out.push(f)
  }
  return out.reverse()
}

/** What one client has not been sent yet: at most `bound` frames (see the module doc). */
export class Mailbox {
  private queue: Array<Frame> = []
  private wake: (() => void) | undefined = undefined
  /** Frames dropped because a later one of the same type replaced them. */
  coalesced = 0
  /** The highest `size` ever reached. */
  highWater = 0
  closed = false

  constructor(readonly types: ReadonlySet<string>, readonly bound: number, private readonly after: number) {}

  /** Takes `f` when it is of the client's types and newer than what it was first sent. */
  offer(f: Frame): void {
    if (this.closed || f.seq <= this.after || !this.types.has(f.type)) return
    if (this.queue.length >= this.bound) {
      const before = this.queue.length
      this.queue = coalesce(this.queue)
      this.coalesced += before - this.queue.length
      // Still full (more types than the bound allows): the oldest goes.
      if (this.queue.length >= this.bound) {
        this.queue.shift()
        this.coalesced++
      }
    }
    this.queue.push(f)
    if (this.queue.length > this.highWater) this.highWater = this.queue.length
    this.notify()
  }

  /** How many frames wait. */
  get size(): number {
    return this.queue.length
  }

  /** Everything waiting, oldest first; the mailbox is then empty. */
  takeAll(): ReadonlyArray<Frame> {
    const q = this.queue
    this.queue = []
    return q
  }

  /** Calls `wake` once, as soon as a frame waits or the mailbox closes (at once if so already); returns a cancel. */
  onReady(wake: () => void): () => void {
    if (this.queue.length > 0 || this.closed) {
      wake()
      return () => {}
    }
    this.wake = wake
    return () => {
      if (this.wake === wake) this.wake = undefined
    }
  }

  /** No more frames: a waiting reader is woken and sees the end. */
  close(): void {
    this.closed = true
    this.notify()
  }

  private notify(): void {
    const w = this.wake
    this.wake = undefined
    w?.()
  }
}
