/**
 * End to end, the path from the bus to durable state (DESIGN.md §4–§5): a real `redis-server`
 * on a free port (append-only, fsync always, so it can be killed and restarted with its
 * streams), the real service as a child process on a SQLite file in a temporary directory,
 * entries written in the Python layout.
 *
 * - A backlog written before the service starts — opens, then their closes on another
 *   stream — is applied in the order it was written: no close is parked or orphaned.
 * - Redis killed (SIGKILL) in the middle of a 5 000-event burst and restarted on the same port
 *   and data: the final state is the one `Backtest` computes from the same events in the same
 *   order, and nothing is applied twice.
 */
import { RedisServer } from "@portfolio/adapters-redis/testing"
import { Backtest } from "@portfolio/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { join } from "node:path"
import * as Http from "./support/Http.js"
import * as ServerProcess from "./support/ServerProcess.js"
import * as Streams from "./support/Streams.js"
import { waitFor } from "./support/WaitFor.js"

/** The event types of the burst, in the merge's order within one millisecond. */
const TYPES = ["trade.opened", "order.executed", "trade.closed", "market.tick"] as const

const connect = (port: number) =>
  Effect.acquireRelease(Effect.promise(() => Streams.Pipe.connect(port)), (pipe) => Effect.sync(() => pipe.close()))

/** Writes the events' entries in one pipeline; fails on any error reply. */
const writeAll = (pipe: Streams.Pipe, events: ReadonlyArray<Streams.BusEvent>) =>
  Effect.promise(() => pipe.send(events.map((e) => Streams.xaddOf(e, 10_000)))).pipe(
    Effect.tap((replies) => expect(replies.filter((r) => r instanceof Error)).toEqual([]))
  )

const health = (url: string) => Effect.map(Http.get(url, "/health"), (a) => a.body)

/** The service's environment: Redis, a SQLite file in `dir`, short blocks, no periodic snapshots. */
const serviceEnv = (redis: RedisServer.RedisServer, dir: string, extra: Record<string, string> = {}) => ({
  PORTFOLIO_REDIS_URL: redis.url,
  PORTFOLIO_TRADE_STORE_DB_PATH: join(dir, "portfolio.db"),
  PORTFOLIO_REDIS_BLOCK_MS: "100",
  PORTFOLIO_REDIS_DOWN_AFTER_MS: "300",
  PORTFOLIO_SNAPSHOT_INTERVAL: "3600",
  PORTFOLIO_HTTP_LOG_REQUESTS: "false",
  ...extra
})

/** Waits until every entry of `types` is read and acknowledged by the service's groups. */
const waitConsumed = (pipe: Streams.Pipe, types: ReadonlyArray<string>, what: string) =>
  waitFor(Effect.promise(() => Streams.consumed(pipe, types)), (done) => done, what, "40 seconds")

/** Every entry of the streams of `types`, in the service's merge order, with the `seq` of its trace id. */
const entriesInMergeOrder = async (pipe: Streams.Pipe, types: ReadonlyArray<string>) => {
  const all: Array<{ readonly ms: number; readonly idSeq: number; readonly rank: number; readonly seq: number; readonly type: string; readonly fields: Record<string, string> }> = []
  for (const [rank, type] of types.entries()) {
    const entries = (await pipe.command("XRANGE", Streams.streamOf(type), "-", "+")) as ReadonlyArray<readonly [string, ReadonlyArray<string>]>
    for (const [id, flat] of entries) {
      const fields: Record<string, string> = {}
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
      const [ms, idSeq] = id.split("-").map(Number) as [number, number]
      all.push({ ms, idSeq, rank, seq: Number(fields["trace_id"]!.slice("seq-".length)), type, fields })
    }
  }
  return all.sort((a, b) => a.ms - b.ms || a.rank - b.rank || a.idSeq - b.idSeq)
}

const pnlOf = (side: string, entry: number, exit: number, qty: number) => (side === "LONG" || side === "BUY" ? exit - entry : entry - exit) * qty

describe("the pipeline from Redis Streams to durable state", () => {
  it.scopedLive("applies a backlog written before it started in the written order: nothing parked, no orphan", () =>
    Effect.gen(function* () {
      const redis = yield* RedisServer.start()
      const pipe = yield* connect(redis.port)
      let seq = 0
      const at = () => Streams.pythonTime(Streams.BASE + seq)
      const event = (type: Streams.BusEvent["type"], payload: Record<string, unknown>): Streams.BusEvent => ({ seq: seq++, type, payload: { ...payload, timestamp: at() } })

      // 30 opens, then their 30 closes (on another stream, written after).
      const first = Array.from({ length: 30 }, (_, i) => ({ id: `B${i}`, side: i % 2 === 0 ? "LONG" : "SHORT", entry: 100 + i, qty: 1 + (i % 3), exit: 100 + i + (i % 7) - 3 }))
      const backlog: Array<Streams.BusEvent> = []
      for (const t of first) backlog.push(event("trade.opened", { trade_id: t.id, symbol: "BTCUSDT", side: t.side, entry_price: t.entry, quantity: t.qty, leverage: 2 }))
      for (const t of first) backlog.push(event("trade.closed", { trade_id: t.id, exit_price: t.exit, close_id: `${t.id}-c` }))
      // 200 opens, then one close of the first of them.
      const second = Array.from({ length: 200 }, (_, i) => ({ id: `C${i}`, symbol: i % 2 === 0 ? "ETHUSDT" : "SOLUSDT", side: i % 3 === 0 ? "SELL" : "BUY", entry: 50 + (i % 40) / 4, qty: 2 + (i % 5) }))
      for (const t of second) backlog.push(event("trade.opened", { trade_id: t.id, symbol: t.symbol, side: t.side, entry_price: t.entry, quantity: t.qty, leverage: 3 }))
      backlog.push(event("trade.closed", { trade_id: "C0", exit_price: 61.5, close_id: "C0-c" }))
      yield* writeAll(pipe, backlog)

      const expectedRealized = first.reduce((s, t) => s + pnlOf(t.side, t.entry, t.exit, t.qty), 0) + pnlOf(second[0]!.side, second[0]!.entry, 61.5, second[0]!.qty)

      const dir = yield* ServerProcess.tempDir
      // Small reads (16 entries per stream per round): the closes stream is read far ahead of
      // the opens, so only the merge by entry id keeps every close behind its open.
      const server = yield* ServerProcess.start(serviceEnv(redis, dir, { PORTFOLIO_REDIS_BATCH_SIZE: "16" }))
      yield* waitConsumed(pipe, ["trade.opened", "trade.closed"], "the backlog to be consumed")

      const h = yield* health(server.url)
      expect(h.events).toMatchObject({
        processed: { "trade.opened": 230, "trade.closed": 31 },
        duplicates: {},
        rejected: {},
        failed: {},
        orphan_closes: 0,
        over_closes: 0,
        parked_closes: 0
      })
      const snapshot = (yield* Http.get(server.url, "/api/portfolio/snapshot")).body
      expect(snapshot.num_positions).toBe(199)
      const open = new Map<string, any>(snapshot.positions.map((p: any) => [p.trade_id, p]))
      expect([...open.keys()].sort()).toEqual(second.slice(1).map((t) => t.id).sort())
      for (const t of second.slice(1)) {
        expect(open.get(t.id)).toMatchObject({ symbol: t.symbol, side: t.side === "BUY" ? "LONG" : "SHORT", size: t.qty, entry_price: t.entry, realized_pnl: 0 })
      }
      const pnl = (yield* Http.get(server.url, "/api/portfolio/pnl")).body
      expect(pnl.realized_pnl_total).toBe(expectedRealized)
      expect(pnl.num_closed_trades).toBe(31)
      expect(pnl.fees_total).toBe(0)
    }), 60_000)

  it.scopedLive("Redis killed in the middle of a 5 000-event burst: the state a backtest of the same events gives, nothing applied twice", () =>
    Effect.gen(function* () {
      const redis = yield* RedisServer.start()
      const dir = yield* ServerProcess.tempDir
      const server = yield* ServerProcess.start(serviceEnv(redis, dir))
      const events = Streams.mixed(5_000, { prefix: "X" })
      const CHUNK = 250

      // The burst, in pipelines of 250 from a connection of its own; after 2 000 entries are
      // acknowledged the next pipeline is sent and Redis is killed while it is in flight.
      let pipe = yield* Effect.promise(() => Streams.Pipe.connect(redis.port))
      let next = 0
      while (next < 2_000) {
        yield* writeAll(pipe, events.slice(next, next + CHUNK))
        next += CHUNK
      }
      const processedAtKill = (yield* health(server.url)).events.processed
      const sending = pipe.send(events.slice(next, next + CHUNK).map((e) => Streams.xaddOf(e, 10_000)))
      const inFlight = sending.then(() => CHUNK, (e: Streams.PipeClosed) => e.answered)
      yield* Effect.sleep("1 millis")
      yield* redis.kill
      const answered = yield* Effect.promise(() => inFlight)
      pipe.close()
      console.log(`redis killed with ${next + answered} entries acknowledged; the service had processed ${JSON.stringify(processedAtKill)}`)

      // The service notices (health 503), Redis comes back with its data.
      yield* waitFor(Http.get(server.url, "/health"), (a) => a.status === 503, "/health to answer 503 while Redis is down")
      yield* redis.restart
      pipe = yield* Effect.promise(() => Streams.Pipe.connect(redis.port))
      yield* Effect.addFinalizer(() => Effect.sync(() => pipe.close()))

      // Whatever reached Redis is a prefix of the burst (one connection, applied in order): the
      // producer resumes after the last entry it finds.
      let last = -1
      for (const type of TYPES) {
        const [top] = (yield* Effect.promise(() => pipe.command("XREVRANGE", Streams.streamOf(type), "+", "-", "COUNT", "1"))) as ReadonlyArray<readonly [string, ReadonlyArray<string>]>
        if (top === undefined) continue
        const trace = top[1][top[1].indexOf("trace_id") + 1]!
        last = Math.max(last, Number(trace.slice("seq-".length)))
      }
      expect(last + 1).toBeGreaterThanOrEqual(next + answered)
      for (let from = last + 1; from < events.length; from += CHUNK) yield* writeAll(pipe, events.slice(from, Math.min(events.length, from + CHUNK)))

      yield* waitConsumed(pipe, TYPES, "the burst to be consumed")
      yield* waitFor(Http.get(server.url, "/health"), (a) => a.status === 200, "/health to answer 200")

      // The oracle: the entries as they are on the bus, in the order the service defines
      // (DESIGN.md §5: by entry id; within one millisecond opens, fills, closes, ticks, as the
      // streams' own sequences do not order entries of different streams), through Backtest.
      const onBus = yield* Effect.promise(() => entriesInMergeOrder(pipe, TYPES))
      expect(onBus.map((e) => e.seq).sort((a, b) => a - b)).toEqual(events.map((e) => e.seq))
      const bt = Backtest.make({ initialCash: 10_000 })
      let oracleTicks = 0
      for (const entry of onBus) {
        const d = Backtest.feedEnvelope(bt, entry.fields)
        if (d._tag === "Applied" && entry.type === "market.tick") oracleTicks++
        else expect([entry.seq, d._tag]).toEqual([entry.seq, entry.type === "market.tick" ? "Ignored" : "Applied"])
      }
      // In the order written the final state is the same (event times decide which price is last).
      const written = Backtest.make({ initialCash: 10_000 })
      for (const e of events) Backtest.feedEnvelope(written, Streams.envelopeOf(e))
      expect(Backtest.snapshot(written).positions).toEqual(Backtest.snapshot(bt).positions)
      expect(Backtest.pnl(written)).toEqual(Backtest.pnl(bt))
      const count = (type: string) => events.filter((e) => e.type === type).length
      const closes = events.filter((e) => e.type === "trade.closed")

      const h = yield* health(server.url)
      expect(h.events).toMatchObject({
        processed: { "trade.opened": count("trade.opened"), "trade.closed": closes.length, "order.executed": count("order.executed") },
        rejected: {},
        failed: {},
        orphan_closes: 0,
        over_closes: 0,
        parked_closes: 0
      })
      // Ticks carry no key: a tick is applied unless an event of a later time for its symbol came
      // before it in the merge (then it is ignored as older; /health does not report ignored
      // events), and one redelivered after the restart may be applied again (the same price).
      const tickOutcomes = h.events.processed["market.tick"] ?? 0
      expect(tickOutcomes).toBeGreaterThanOrEqual(oracleTicks)

      const snapshot = (yield* Http.get(server.url, "/api/portfolio/snapshot")).body
      const expectedSnapshot = Backtest.snapshot(bt)
      const view = (ps: ReadonlyArray<any>) =>
        ps.map((p) => ({ trade_id: p.trade_id, symbol: p.symbol, side: p.side, size: p.size, entry_price: p.entry_price, current_price: p.current_price, realized_pnl: p.realized_pnl }))
          .sort((a, b) => a.trade_id.localeCompare(b.trade_id))
      expect(view(snapshot.positions)).toEqual(view(expectedSnapshot.positions))
      expect(snapshot.realized_pnl_total).toBe(expectedSnapshot.realized_pnl_total)

      const pnl = (yield* Http.get(server.url, "/api/portfolio/pnl")).body
      const expectedPnl = Backtest.pnl(bt)
      for (const k of ["realized_pnl_total", "num_closed_trades", "num_winning_trades", "num_losing_trades", "gross_profit", "gross_loss", "fees_total", "best_trade_pnl", "worst_trade_pnl"] as const) {
        expect([k, pnl[k]]).toEqual([k, expectedPnl[k]])
      }
      // Nothing applied twice, checked without the core: every trade of the burst is opened and
      // fully closed once (a half, then the rest; or all at once), and the realized total is the
      // sum of exactly these closes.
      expect(pnl.num_closed_trades).toBe(count("trade.opened"))
      const opened = new Map(events.filter((e) => e.type === "trade.opened").map((e) => [e.payload["trade_id"] as string, { ...e.payload, remaining: e.payload["quantity"] as number }] as const))
      let realized = 0
      for (const c of closes) {
        const t = opened.get(c.payload["trade_id"] as string)! as any
        const qty = (c.payload["quantity"] as number | undefined) ?? t.remaining
        t.remaining -= qty
        realized += pnlOf(t.side, t.entry_price, c.payload["exit_price"] as number, qty)
      }
      expect(pnl.realized_pnl_total).toBe(realized)
    }), 60_000)
})
