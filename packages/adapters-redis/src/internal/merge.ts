/**
 * The k-way merge of the streams of one subscription (DESIGN.md §5): entries of every stream
 * buffered per stream, handed out in one order across streams — by entry id milliseconds, then
 * by the rank of the event type (`trade.opened` < `order.executed` < `trade.closed` <
 * `market.tick` < anything else), then by sequence — and only when no entry that sorts before
 * them can still arrive. Pure state, no I/O: the reader feeds it the replies of its rounds.
 *
 * An entry may go when every other stream either has a buffered entry (which sorts after it,
 * the entry being the smallest head) or was read to its end at a server time later than the
 * entry's milliseconds: Redis stamps new ids from its clock, so whatever that stream gets
 * afterwards has an id of at least that time.
 */

/** Where a type goes among entries of the same millisecond: opens before fills before closes before ticks. */
export const typeRank = (eventType: string): number => {
  switch (eventType) {
    case "trade.opened":
      return 0
    case "order.executed":
      return 1
    case "trade.closed":
      return 2
    case "market.tick":
      return 3
    default:
      return 4
  }
}

/** An entry read and not handed out yet. */
export interface Buffered {
  readonly eventType: string
  readonly id: string
  readonly ms: number
  readonly seq: number
  readonly fields: Record<string, string>
  readonly deliveryCount: number
}

/** Splits a stream id `<ms>-<seq>` into its numbers. */
export const parseId = (id: string): { readonly ms: number; readonly seq: number } => {
  const dash = id.indexOf("-")
  return dash < 0 ? { ms: Number(id), seq: 0 } : { ms: Number(id.slice(0, dash)), seq: Number(id.slice(dash + 1)) }
}

/** Compares two entries of streams of the given ranks by the merge key (negative: `a` first). */
export const compareKeys = (
  a: { readonly ms: number; readonly seq: number },
  rankA: number,
  typeA: string,
  b: { readonly ms: number; readonly seq: number },
  rankB: number,
  typeB: string
): number =>
  a.ms !== b.ms
    ? a.ms - b.ms
    : rankA !== rankB
    ? rankA - rankB
    : a.seq !== b.seq
    ? a.seq - b.seq
    : typeA < typeB
    ? -1
    : typeA > typeB
    ? 1
    : 0

/** The reading state of one stream. */
export interface Lane {
  readonly eventType: string
  readonly rank: number
  /**
   * The id to read from: this consumer's pending entries after that id (`0` for all of them),
   * or `>` for entries never delivered to the group.
   */
  cursor: string
  /** Entries read and not handed out, oldest first from `head`. */
  buffer: Array<Buffered>
  head: number
  /**
   * The server time (ms) of the last round in which a read of new entries came back short;
   * `undefined` while the stream may still hold unread entries older than anything.
   */
  caughtUpAt: number | undefined
  /** The stream's last id at that round, from which a blocking read waits. */
  topId: string
}

/** What a round read from one lane. */
export interface LaneRead {
  /** Entries to buffer, in stream order (trimmed and in-flight ones already left out). */
  readonly entries: ReadonlyArray<Buffered>
  /** The last id the read returned, buffered or not. */
  readonly lastId: string | undefined
  /** Whether the read returned fewer entries than it asked for. */
  readonly short: boolean
  /** The stream's last id at the round (reads of new entries only). */
  readonly topId?: string | undefined
}

/** The merge of one subscription's streams. */
export class OrderedMerge {
  readonly lanes: ReadonlyArray<Lane>

  constructor(eventTypes: ReadonlyArray<string>) {
    this.lanes = eventTypes.map((eventType) => ({
      eventType,
      rank: typeRank(eventType),
      cursor: "0",
      buffer: [],
      head: 0,
      caughtUpAt: undefined,
      topId: "0-0"
    }))
  }

  /** Starts a lane over from its pending entries, forgetting what it buffered (still pending in Redis). */
  restart(lane: Lane): void {
    lane.cursor = "0"
    lane.buffer = []
    lane.head = 0
    lane.caughtUpAt = undefined
  }

  /** Starts every lane over (after a reconnection). */
  restartAll(): void {
    for (const lane of this.lanes) this.restart(lane)
  }

  /** Whether the lane has entries to hand out. */
  static hasBuffered(lane: Lane): boolean {
    return lane.head < lane.buffer.length
  }

  /** The lanes to read in the next round: those with nothing buffered (which keeps the buffers bounded). */
  toRead(): Array<Lane> {
    return this.lanes.filter((lane) => !OrderedMerge.hasBuffered(lane))
  }

  /** Takes what a round read from a lane, at server time `now` (ms). */
  accept(lane: Lane, read: LaneRead, now: number): void {
    if (read.entries.length > 0) {
      if (lane.head > 0 && lane.head >= lane.buffer.length) {
        lane.buffer = []
        lane.head = 0
      }
      for (const entry of read.entries) lane.buffer.push(entry)
    }
    if (lane.cursor !== ">") {
      // Reading this consumer's pending entries: on to new ones once they are all read.
      if (read.lastId !== undefined) lane.cursor = read.lastId
      if (read.short) lane.cursor = ">"
      lane.caughtUpAt = undefined
      return
    }
    lane.caughtUpAt = read.short ? now : undefined
    if (read.topId !== undefined) lane.topId = read.topId
  }

  /** Hands out, in merge order, every buffered entry that nothing unread can precede. */
  takeReady(): Array<Buffered> {
    const out: Array<Buffered> = []
    const lanes = this.lanes
    for (;;) {
      let best: Lane | undefined
      let bestEntry: Buffered | undefined
      for (const lane of lanes) {
        if (lane.head >= lane.buffer.length) continue
        const entry = lane.buffer[lane.head]!
        if (
          bestEntry === undefined ||
          compareKeys(entry, lane.rank, lane.eventType, bestEntry, best!.rank, best!.eventType) < 0
        ) {
          best = lane
          bestEntry = entry
        }
      }
      if (best === undefined || bestEntry === undefined) break
      let blocked = false
      for (const lane of lanes) {
        if (lane === best || lane.head < lane.buffer.length) continue
        if (lane.caughtUpAt === undefined || lane.caughtUpAt <= bestEntry.ms) {
          blocked = true
          break
        }
      }
      if (blocked) break
      best.head++
      out.push(bestEntry)
    }
    for (const lane of lanes) {
      if (lane.head > 0 && lane.head >= lane.buffer.length) {
        lane.buffer = []
        lane.head = 0
      }
    }
    return out
  }

  /** Whether every lane is read to its end and nothing is buffered: time to block until something is written. */
  isIdle(): boolean {
    return this.lanes.every((lane) => lane.caughtUpAt !== undefined && !OrderedMerge.hasBuffered(lane))
  }

  /**
   * Whether what is buffered waits only for the server clock to move past it (every empty lane
   * is read to its end, but in the same millisecond as the smallest buffered entry).
   */
  waitsForClock(): boolean {
    const empty = this.lanes.filter((lane) => !OrderedMerge.hasBuffered(lane))
    return empty.length < this.lanes.length && empty.every((lane) => lane.caughtUpAt !== undefined)
  }

  /** Whether the entry `id` is buffered in the lane. */
  static buffers(lane: Lane, id: string): boolean {
    for (let i = lane.head; i < lane.buffer.length; i++) if (lane.buffer[i]!.id === id) return true
    return false
  }
}
