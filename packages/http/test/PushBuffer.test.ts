/**
 * The push buffers as specifications: a mailbox never holds more than its bound however many
 * frames come, and what it keeps is, per type, the latest; the ring resumes exactly after an id
 * it still holds and refuses one it forgot; ids of another run are not taken for this run's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Duration, Effect, Stream } from "effect"
import type { OutgoingEventType } from "@portfolio/core"
import { coalesce, type Frame, frame, Mailbox, Ring, seqOf } from "../src/internal/pushBuffer.js"
import { eventStream, HEARTBEAT, parseTypes } from "../src/Push.js"

const TYPES: ReadonlyArray<OutgoingEventType> = ["portfolio.snapshot_updated", "portfolio.pnl_updated", "portfolio.exposure_updated", "portfolio.drawdown_updated"]
const all = new Set<string>(TYPES)
const f = (seq: number, type: OutgoingEventType = TYPES[seq % TYPES.length]!): Frame => frame("boot", seq, type, `{"n":${seq}}`)

describe("push buffers", () => {
  it("encodes a frame once as SSE and as a WebSocket message", () => {
    const x = frame("b1", 7, "portfolio.pnl_updated", '{"a":1}')
    expect(new TextDecoder().decode(x.sse)).toBe('id: b1-7\nevent: portfolio.pnl_updated\ndata: {"a":1}\n\n')
    expect(JSON.parse(x.ws)).toEqual({ id: "b1-7", type: "portfolio.pnl_updated", payload: { a: 1 } })
  })

  it("a mailbox that is never read holds at most its bound, keeping the latest frame of each type", () => {
    const m = new Mailbox(all, 32, 0)
    for (let i = 1; i <= 10_000; i++) m.offer(f(i))
    expect(m.highWater).toBeLessThanOrEqual(32)
    expect(m.size).toBeLessThanOrEqual(32)
    expect(m.coalesced).toBe(10_000 - m.size)
    const kept = m.takeAll()
    // In order, and the last frame of each type is among them.
    expect(kept.map((x) => x.seq)).toEqual([...kept.map((x) => x.seq)].sort((a, b) => a - b))
    for (const t of TYPES) expect(kept.filter((x) => x.type === t).at(-1)!.seq).toBe(Math.max(...Array.from({ length: 10_000 }, (_, i) => i + 1).filter((s) => TYPES[s % 4] === t)))
    expect(m.size).toBe(0)
  })

  it("a mailbox takes only its types and what is newer than its start, and wakes its reader once", () => {
    const m = new Mailbox(new Set(["portfolio.pnl_updated"]), 4, 5)
    let woken = 0
    m.onReady(() => woken++)
    m.offer(f(5, "portfolio.pnl_updated")) // already sent in the first state
    m.offer(f(6, "portfolio.snapshot_updated"))
    expect(woken).toBe(0)
    m.offer(f(7, "portfolio.pnl_updated"))
    m.offer(f(8, "portfolio.pnl_updated"))
    expect(woken).toBe(1)
    expect(m.takeAll().map((x) => x.seq)).toEqual([7, 8])
    m.close()
    let ended = false
    m.onReady(() => (ended = true))
    expect(ended).toBe(true)
  })

  it("coalesce keeps the last frame of each type in publication order", () => {
    const frames = [f(1, "portfolio.snapshot_updated"), f(2, "portfolio.pnl_updated"), f(3, "portfolio.snapshot_updated"), f(4, "portfolio.exposure_updated"), f(5, "portfolio.pnl_updated")]
    expect(coalesce(frames).map((x) => x.seq)).toEqual([3, 4, 5])
  })

  it("the ring resumes after an id it holds, and says so when it forgot some", () => {
    const ring = new Ring(100)
    for (let i = 1; i <= 1_000; i++) ring.push(f(i))
    expect(ring.size).toBe(100)
    expect(ring.after(950, all)!.map((x) => x.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 951 + i))
    expect(ring.after(900, all)!.length).toBe(100) // the oldest kept is 901: nothing missing
    expect(ring.after(899, all)).toBeUndefined() // 900 was forgotten
    expect(ring.after(1_000, all)).toEqual([])
    expect(ring.after(1_001, all)).toBeUndefined()
    expect(ring.after(990, new Set(["portfolio.pnl_updated"]))!.every((x) => x.type === "portfolio.pnl_updated")).toBe(true)
    expect(ring.latestOf(all).map((x) => x.seq)).toEqual([997, 998, 999, 1_000])
  })

  it("an id is this run's only with its boot prefix and a plain number", () => {
    expect(seqOf("boot", "boot-42")).toBe(42)
    expect(seqOf("boot", "other-42")).toBeUndefined()
    expect(seqOf("boot", "boot-4e2")).toBeUndefined()
    expect(seqOf("boot", undefined)).toBeUndefined()
  })

  it.live("an SSE body opens, sends its first frames, then heartbeats in silence and frames as they come, and ends when closed", () =>
    Effect.gen(function* () {
      const mailbox = new Mailbox(all, 8, 1)
      const text = (c: Uint8Array) => new TextDecoder().decode(c)
      setTimeout(() => mailbox.offer(f(2)), 120)
      setTimeout(() => mailbox.close(), 200)
      const chunks = yield* eventStream({ initial: [f(1)], resumed: false, mailbox }, Duration.millis(50)).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
      expect(text(chunks[0]!)).toContain("retry: 1000")
      expect(text(chunks[1]!)).toContain("id: boot-1\n")
      const rest = chunks.slice(2).map(text)
      expect(rest.filter((t) => t === text(HEARTBEAT)).length).toBeGreaterThanOrEqual(2)
      expect(rest.filter((t) => t.startsWith("id: boot-2\n")).length).toBe(1)
    }))

  it("types= takes full and short names, and names what it does not know", () => {
    const parsed = parseTypes("snapshot, portfolio.pnl_updated,exposure_updated")
    expect(parsed._tag === "Right" && [...parsed.right].sort()).toEqual(["portfolio.exposure_updated", "portfolio.pnl_updated", "portfolio.snapshot_updated"])
    const everything = parseTypes(undefined)
    expect(everything._tag === "Right" && everything.right.size).toBe(4)
    const wrong = parseTypes("snapshot,trades")
    expect(wrong._tag === "Left" && wrong.left).toContain('"trades"')
  })
})
