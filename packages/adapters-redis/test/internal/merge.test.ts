import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { type Buffered, OrderedMerge, parseId, typeRank } from "../../src/internal/merge.js"

/** The merge key, written out independently: milliseconds, then type rank, then sequence, then type name. */
const rankOf: Record<string, number> = { "trade.opened": 0, "order.executed": 1, "trade.closed": 2, "market.tick": 3 }
const keyOf = (e: { eventType: string; id: string }): [number, number, number, string] => {
  const [ms, seq] = e.id.split("-").map(Number) as [number, number]
  return [ms, rankOf[e.eventType] ?? 4, seq, e.eventType]
}
const before = (a: { eventType: string; id: string }, b: { eventType: string; id: string }): number => {
  const [x, y] = [keyOf(a), keyOf(b)]
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number)
  return x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0
}

const entry = (eventType: string, id: string): Buffered => ({ eventType, id, ...parseId(id), fields: {}, deliveryCount: 1 })

/**
 * A simulated server: streams of ids stamped from a clock that only moves forward, rounds that
 * read every lane the merge asks for at one instant, as a MULTI does.
 */
class Server {
  clock = 1_000
  readonly streams = new Map<string, Array<string>>()
  readonly read = new Map<string, number>()
  constructor(readonly types: ReadonlyArray<string>) {
    for (const t of types) {
      this.streams.set(t, [])
      this.read.set(t, 0)
    }
  }
  append(type: string): void {
    const ids = this.streams.get(type)!
    const last = ids.at(-1)
    const lastMs = last === undefined ? -1 : Number(last.split("-")[0])
    const lastSeq = last === undefined ? -1 : Number(last.split("-")[1])
    ids.push(lastMs >= this.clock ? `${lastMs}-${lastSeq + 1}` : `${this.clock}-0`)
  }
  round(merge: OrderedMerge, batch: number): void {
    for (const lane of merge.toRead()) {
      const ids = this.streams.get(lane.eventType)!
      const from = this.read.get(lane.eventType)!
      const got = ids.slice(from, from + batch)
      this.read.set(lane.eventType, from + got.length)
      // Nothing pending in this simulation: the first read of each lane is its (empty) pending list.
      if (lane.cursor !== ">") {
        this.read.set(lane.eventType, from)
        merge.accept(lane, { entries: [], lastId: undefined, short: true }, this.clock)
        continue
      }
      merge.accept(lane, { entries: got.map((id) => entry(lane.eventType, id)), lastId: got.at(-1), short: got.length < batch, topId: ids.at(-1) }, this.clock)
    }
  }
}

describe("OrderedMerge", () => {
  it("ranks types within a millisecond: opened < executed < closed < tick < anything else", () => {
    expect(["ess.tripped", "market.tick", "trade.closed", "order.executed", "trade.opened"].map(typeRank)).toEqual([4, 3, 2, 1, 0])
    expect(typeRank("portfolio.snapshot_updated")).toBe(4)
  })

  it("holds an entry back until every other stream is buffered or read to its end after it", () => {
    const merge = new OrderedMerge(["trade.opened", "trade.closed"])
    const [opened, closed] = merge.lanes as [typeof merge.lanes[0], typeof merge.lanes[0]]
    for (const lane of merge.lanes) merge.accept(lane, { entries: [], lastId: undefined, short: true }, 1_000)
    // A full batch of closes, the opens not read yet: nothing may go.
    merge.accept(closed, { entries: [entry("trade.closed", "900-0")], lastId: "900-0", short: false, topId: "950-0" }, 1_000)
    expect(merge.takeReady()).toEqual([])
    // The opens are read to their end at 1 000 with one entry after the close: the close goes first.
    merge.accept(opened, { entries: [entry("trade.opened", "901-0")], lastId: "901-0", short: true, topId: "901-0" }, 1_000)
    expect(merge.takeReady().map((e) => e.id)).toEqual(["900-0"])
    // The closes' next entry is unknown until read: the open waits.
    expect(merge.toRead()).toEqual([closed])
    merge.accept(closed, { entries: [], lastId: undefined, short: true, topId: "950-0" }, 1_001)
    expect(merge.takeReady().map((e) => e.id)).toEqual(["901-0"])
    expect(merge.isIdle()).toBe(true)
  })

  it("puts an open before a close of the same millisecond, and waits for the clock to pass that millisecond", () => {
    const merge = new OrderedMerge(["trade.closed", "trade.opened"])
    const [closed, opened] = merge.lanes as [typeof merge.lanes[0], typeof merge.lanes[0]]
    for (const lane of merge.lanes) merge.accept(lane, { entries: [], lastId: undefined, short: true }, 500)
    merge.accept(closed, { entries: [entry("trade.closed", "700-0")], lastId: "700-0", short: true, topId: "700-0" }, 700)
    merge.accept(opened, { entries: [], lastId: undefined, short: true, topId: "0-0" }, 700)
    // An open may still be written in millisecond 700, and it would sort first.
    expect(merge.takeReady()).toEqual([])
    expect(merge.waitsForClock()).toBe(true)
    merge.accept(opened, { entries: [entry("trade.opened", "700-3")], lastId: "700-3", short: true, topId: "700-3" }, 701)
    expect(merge.takeReady().map((e) => `${e.eventType} ${e.id}`)).toEqual(["trade.opened 700-3", "trade.closed 700-0"])
  })

  it("reads a stream's pending entries first, then new ones", () => {
    const merge = new OrderedMerge(["market.tick"])
    const [lane] = merge.lanes
    expect(lane!.cursor).toBe("0")
    merge.accept(lane!, { entries: [entry("market.tick", "5-0")], lastId: "5-1", short: false }, 10)
    expect(lane!.cursor).toBe("5-1")
    expect(merge.takeReady().map((e) => e.id)).toEqual(["5-0"])
    merge.accept(lane!, { entries: [], lastId: undefined, short: true }, 10)
    expect(lane!.cursor).toBe(">")
    expect(merge.isIdle()).toBe(false)
    merge.restart(lane!)
    expect(lane!.cursor).toBe("0")
  })

  it("hands out every entry once, in nondecreasing merge order, whatever the interleaving of writes and rounds", () => {
    const types = ["trade.opened", "order.executed", "trade.closed", "market.tick", "ess.tripped", "risk.alert"]
    const step = fc.oneof(
      fc.record({ kind: fc.constant("append" as const), type: fc.nat({ max: 5 }) }),
      fc.record({ kind: fc.constant("tick" as const), by: fc.integer({ min: 1, max: 2 }) }),
      fc.record({ kind: fc.constant("round" as const) })
    )
    fc.assert(
      fc.property(
        fc.shuffledSubarray(types, { minLength: 1 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(step, { maxLength: 300 }),
        (chosen, batch, steps) => {
          const server = new Server(chosen)
          const merge = new OrderedMerge(chosen)
          const out: Array<Buffered> = []
          for (const s of steps) {
            if (s.kind === "append") server.append(chosen[s.type % chosen.length]!)
            else if (s.kind === "tick") server.clock += s.by
            else {
              server.round(merge, batch)
              out.push(...merge.takeReady())
            }
          }
          // Writes stop; rounds go on (the clock moving) until the merge is idle and a blocking
          // read from the last ids seen would find nothing.
          const wakes = () => merge.lanes.some((lane) => lane.topId !== (server.streams.get(lane.eventType)!.at(-1) ?? "0-0"))
          for (let i = 0; i < 10_000 && (!merge.isIdle() || wakes()); i++) {
            server.clock++
            server.round(merge, batch)
            out.push(...merge.takeReady())
          }
          expect(merge.isIdle()).toBe(true)
          for (let i = 1; i < out.length; i++) expect(before(out[i - 1]!, out[i]!)).toBeLessThanOrEqual(0)
          const written = [...server.streams].flatMap(([t, ids]) => ids.map((id) => `${t} ${id}`)).sort()
          expect(out.map((e) => `${e.eventType} ${e.id}`).sort()).toEqual(written)
        }
      ),
      { numRuns: 300 }
    )
  })
})
