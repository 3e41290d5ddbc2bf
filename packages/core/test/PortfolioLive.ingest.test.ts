/**
 * The ingest pipeline of the service (issue 10): order across the bus's types, parking,
 * batches, group commit, retry then dead-letter, and the equity sample of every published
 * snapshot. Memory ports; the Redis adapter's own order is tested against a real server in
 * `adapters-redis`, and the whole path end to end in `http`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, TestClock } from "effect"
import { EventBus, StoreError } from "../src/index.js"
import { envelope, eventually, iso, makePorts, makePortsWith, published, start, T0 } from "./support/Service.js"

const open = (id: string, at: number, price = 100, quantity = 1) =>
  envelope("trade.opened", { trade_id: id, symbol: "BTCUSDT", side: "LONG", entry_price: price, quantity, timestamp: iso(at) })
const close = (id: string, at: number, exit: number) =>
  envelope("trade.closed", { trade_id: id, exit_price: exit, close_id: `c-${id}`, timestamp: iso(at) })

describe("ingest", () => {
  it.effect("a backlog published before the service starts applies opens before their closes: no orphans, nothing left open", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const bus = Context.get(ports.context, EventBus)
      // 30 opens then their 30 closes, and a second round whose closes were written first
      // (a producer's own disorder): the bus holds all 120 entries before the service starts.
      for (let i = 0; i < 30; i++) yield* bus.publish(open(`a${i}`, T0 + i))
      for (let i = 0; i < 30; i++) yield* bus.publish(close(`a${i}`, T0 + 100 + i, 110))
      for (let i = 0; i < 30; i++) yield* bus.publish(close(`b${i}`, T0 + 200 + i, 90))
      for (let i = 0; i < 30; i++) yield* bus.publish(open(`b${i}`, T0 + 300 + i))
      const { service, stop } = yield* start(ports, { snapshotInterval: Duration.hours(1) })
      const pnl = yield* eventually(service.pnl, (p) => p.num_closed_trades === 60)
      expect(pnl.realized_pnl_total).toBe(30 * 10 - 30 * 10) // 30 × (110 − 100) + 30 × (90 − 100)
      expect(pnl.num_winning_trades).toBe(30)
      expect(pnl.num_losing_trades).toBe(30)
      expect((yield* service.snapshot).num_positions).toBe(0)
      const health = yield* service.health
      expect(health.events.orphan_closes).toBe(0)
      expect(health.events.parked_closes).toBe(0)
      // The 30 closes written before their opens were parked, then applied with their opens.
      expect(health.events.parked).toEqual({ "trade.closed": 30 })
      expect(health.events.processed).toEqual({ "trade.opened": 60, "trade.closed": 60 })
      const counters = yield* ports.inspector.counters
      expect(counters["trade.opened"]!.acked + counters["trade.closed"]!.acked).toBe(120)
      // Nothing is left parked in the store either: a restart finds the same state.
      expect((yield* ports.store.counts).parked).toBe(0)
      yield* stop
    }))

  it.effect("a parked close survives a restart and applies when its open arrives after it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const first = yield* start(ports)
      expect((yield* first.service.ingest(close("late", T0, 120))).status).toBe("parked")
      yield* first.stop
      const second = yield* start(ports)
      expect((yield* second.service.health).events.parked_closes).toBe(1)
      expect((yield* second.service.ingest(close("late", T0, 120))).status).toBe("duplicate")
      expect((yield* second.service.ingest(open("late", T0 - 1_000))).status).toBe("applied")
      const pnl = yield* second.service.pnl
      expect(pnl.realized_pnl_total).toBe(20)
      expect(pnl.num_closed_trades).toBe(1)
      expect((yield* second.service.snapshot).num_positions).toBe(0)
      expect((yield* ports.store.counts).parked).toBe(0)
      yield* second.stop
    }))

  it.effect("HTTP posts are group-committed and answered per element, in order", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports)
      const batch = [open("g1", T0), { event_type: "trade.opened", payload: "{not json" }, open("g1", T0), close("g2", T0, 1)]
      const [many, single] = yield* Effect.all([service.ingestMany(batch), service.ingest(open("g3", T0))], { concurrency: "unbounded" })
      expect(many.map((r) => r.status)).toEqual(["applied", "rejected", "duplicate", "parked"])
      expect(many[1]!.reason).toContain("not JSON")
      expect(single.status).toBe("applied")
      expect((yield* service.snapshot).num_positions).toBe(2)
      yield* stop
    }))

  it.effect("a transient store failure is retried in process and the event applies; later events wait for it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      let offered = 0
      const ports = yield* makePortsWith({
        failCommit: (batch, attempt) => {
          if (batch.eventKey !== "trade.opened:flaky") return undefined
          offered = attempt
          return attempt <= 2 ? new StoreError({ operation: "commit", reason: "injected: database is locked", retryable: true }) : undefined
        }
      })
      const bus = Context.get(ports.context, EventBus)
      const { service, stop } = yield* start(ports, { ingestRetryBase: Duration.millis(10) })
      yield* bus.publish(open("flaky", T0))
      yield* bus.publish(open("after", T0 + 1))
      // Retries sleep on the clock: move it on until both are applied.
      for (let i = 0; i < 20 && (yield* service.snapshot).num_positions < 2; i++) yield* TestClock.adjust("50 millis")
      const snap = yield* service.snapshot
      expect(snap.positions.map((p) => p.trade_id).sort()).toEqual(["after", "flaky"])
      expect(offered).toBe(3) // failed twice, committed the third time
      expect((yield* ports.inspector.deadLetters()).length).toBe(0)
      const counters = yield* ports.inspector.counters
      expect(counters["trade.opened"]!.acked).toBe(2)
      expect((yield* service.health).events.failed).toEqual({})
      yield* stop
    }))

  it.effect("an event the store keeps refusing is dead-lettered with the error after the attempts; the others of its batch apply", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePortsWith({
        failCommit: (batch) =>
          batch.eventKey === "trade.opened:poison"
            ? new StoreError({ operation: "commit", reason: "injected: constraint failed", retryable: false })
            : undefined
      })
      const bus = Context.get(ports.context, EventBus)
      for (const id of ["before", "poison", "after"]) yield* bus.publish(open(id, T0))
      const { service, stop } = yield* start(ports, { ingestMaxAttempts: 3, ingestRetryBase: Duration.millis(10) })
      const dead = yield* eventually(ports.inspector.deadLetters("trade.opened"), (d) => d.length === 1)
      expect(dead[0]!.fields["error"]).toContain("injected: constraint failed")
      expect(JSON.parse(dead[0]!.fields["payload"]!).trade_id).toBe("poison")
      const snap = yield* service.snapshot
      expect(snap.positions.map((p) => p.trade_id).sort()).toEqual(["after", "before"])
      expect((yield* service.health).events.failed).toEqual({ "trade.opened": 1 })
      // Over HTTP the same refusal is an error the caller sees (503), not a silent loss.
      const result = yield* Effect.either(service.ingest(open("poison", T0)))
      expect(result._tag).toBe("Left")
      yield* stop
    }))

  it.effect("a hedge-mode fill without position_side is rejected with the field named and dead-lettered, not ignored", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const bus = Context.get(ports.context, EventBus)
      const { service, stop } = yield* start(ports, { portfolio: { positionSource: "fills", positionMode: "hedge" } })
      const fill = (id: string, extra: Record<string, unknown>) =>
        envelope("order.executed", { order_id: id, symbol: "BTCUSDT", side: "BUY", quantity: 1, price: 100, timestamp: iso(T0), ...extra })
      const result = yield* service.ingest(fill("h1", {}))
      expect(result).toMatchObject({ status: "rejected", issues: [{ path: "payload.position_side" }] })
      yield* bus.publish(fill("h2", {}))
      yield* bus.publish(fill("h3", { position_side: "LONG" }))
      const dead = yield* eventually(ports.inspector.deadLetters("order.executed"), (d) => d.length === 1)
      expect(dead[0]!.fields["error"]).toContain("position_side")
      const positions = yield* eventually(service.netPositions, (p) => p.length === 1)
      expect(positions[0]).toMatchObject({ side: "LONG", size: 1 })
      expect((yield* service.health).events.rejected).toEqual({ "order.executed": 2 })
      yield* stop
    }))

  it.effect("a symbol's price subscription is released when nothing open uses it any more", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports)
      yield* service.ingestMany([open("u1", T0), open("u2", T0), envelope("trade.opened", { trade_id: "e1", symbol: "ETHUSDT", side: "SHORT", entry_price: 10, quantity: 1, timestamp: iso(T0) })])
      expect(yield* ports.control.subscribed).toEqual(["BTCUSDT", "ETHUSDT"])
      yield* service.ingest(close("u1", T0 + 1, 101))
      expect(yield* ports.control.subscribed).toEqual(["BTCUSDT", "ETHUSDT"]) // u2 still holds BTCUSDT
      yield* service.ingest(close("u2", T0 + 2, 102))
      yield* service.ingest(close("e1", T0 + 3, 9))
      expect(yield* ports.control.subscribed).toEqual([])
      yield* stop
    }))

  it.effect("the same request sent twice is one event: no arrival time in keys, and the Idempotency-Key wins", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports)
      yield* service.ingest(open("i1", T0, 100, 2))
      // No close_id, no order_id, no timestamp: its time would be the time of arrival.
      const bare = { event_type: "trade.closed", payload: JSON.stringify({ trade_id: "i1", exit_price: 110, quantity: 1 }) }
      expect((yield* service.ingest(bare)).status).toBe("applied")
      yield* TestClock.adjust("3 seconds")
      expect((yield* service.ingest(bare)).status).toBe("duplicate")
      expect((yield* service.pnl).realized_pnl_total).toBe(10)
      // With an Idempotency-Key the key is the caller's: a retried request is a duplicate even
      // when its body changed its time.
      const keyed = (at: number) => envelope("market.tick", { symbol: "BTCUSDT", price: 105, timestamp: iso(at) })
      const first = yield* service.ingest(envelope("ess.tripped", { reason: "manual", timestamp: iso(T0 + 1) }), { idempotencyKey: "req-7" })
      expect(first.status).toBe("applied")
      const retry = yield* service.ingest(envelope("ess.tripped", { reason: "manual", timestamp: iso(T0 + 2) }), { idempotencyKey: "req-7" })
      expect(retry.status).toBe("duplicate")
      expect((yield* service.ingest(keyed(T0 + 5))).status).toBe("applied")
      yield* stop
    }))

  it.effect("a bus entry whose event_type disagrees with its stream is dead-lettered, not applied as the other type", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const bus = Context.get(ports.context, EventBus)
      const { service, stop } = yield* start(ports)
      // Published on the stream of trade.opened, but says it is a tick.
      yield* bus.publish({ ...envelope("market.tick", { symbol: "BTCUSDT", price: 1, timestamp: iso(T0) }), event_type: "trade.opened" })
      const entries = yield* ports.inspector.published("trade.opened")
      expect(entries).toHaveLength(1)
      // The memory bus files an entry under its envelope's type; rewrite the field as a foreign producer would.
      ;(entries[0]!.fields as Record<string, string>)["event_type"] = "market.tick"
      const dead = yield* eventually(ports.inspector.deadLetters("trade.opened"), (d) => d.length === 1)
      expect(dead[0]!.fields["error"]).toContain("read from the stream of")
      expect((yield* service.snapshot).num_positions).toBe(0)
      yield* stop
    }))

  it.effect("every published snapshot records an equity sample, lifecycle ones included", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { snapshotInterval: Duration.hours(1), lifecycleSnapshotThrottle: Duration.millis(0) })
      yield* service.ingest(open("s1", T0, 100, 10))
      yield* TestClock.adjust("1 second")
      yield* service.ingest(envelope("market.tick", { symbol: "BTCUSDT", price: 50, timestamp: iso(T0 + 1_000) }))
      yield* service.ingest(envelope("trade.closed", { trade_id: "s1", exit_price: 50, timestamp: iso(T0 + 1_000) }))
      const snapshots = yield* eventually(published(ports, "portfolio.snapshot_updated"), (s) => s.length === 3)
      const samples = yield* ports.history.range()
      // The periodic one at start, then one per lifecycle event: each snapshot's equity is a sample.
      expect(samples.map((s) => s.equity)).toEqual(snapshots.map((s) => s.total_equity))
      expect(samples.at(-1)!.equity).toBe(10_000 - 500) // (50 − 100) × 10 realized
      const drawdown = yield* service.drawdown
      expect(drawdown.daily_drawdown_pct).toBeCloseTo(5, 9) // the day's peak 10 000, equity 9 500
      yield* stop
    }))

  it.effect("submit: concurrent callers answered by callback once durable; a callback that throws stops no later caller", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { snapshotInterval: Duration.hours(1) })
      const answers: Array<unknown> = []
      // The first caller's callback throws; the others share its group commit or the next.
      service.submit([open("s0", T0)], undefined, () => {
        throw new Error("a broken caller")
      })
      for (let i = 1; i <= 3; i++) {
        service.submit([open(`s${i}`, T0 + i)], { idempotencyKey: `key-${i}` }, (results) => answers.push(results))
      }
      service.submit([close("s1", T0 + 10, 120), { event_type: "trade.closed", payload: {} }], undefined, (results) => answers.push(results))
      yield* eventually(Effect.sync(() => answers.length), (n) => n === 4)
      expect(answers.slice(0, 3).map((a) => (a as { _tag: string; right: ReadonlyArray<{ status: string; event_id: string }> }).right[0])).toEqual([
        expect.objectContaining({ status: "applied", event_id: "trade.opened:key:key-1" }),
        expect.objectContaining({ status: "applied", event_id: "trade.opened:key:key-2" }),
        expect.objectContaining({ status: "applied", event_id: "trade.opened:key:key-3" })
      ])
      const last = answers[3] as { _tag: string; right: ReadonlyArray<{ status: string }> }
      expect(last._tag).toBe("Right")
      expect(last.right.map((r) => r.status)).toEqual(["applied", "rejected"])
      // Every handed-over event was ingested, the broken caller's too.
      const snapshot = yield* service.snapshot
      expect(snapshot.positions.map((p) => p.trade_id).sort()).toEqual(["s0", "s2", "s3"])
      expect((yield* service.pnl).realized_pnl_total).toBe(20)
      // And the service still ingests.
      expect((yield* service.ingest(open("s9", T0 + 20))).status).toBe("applied")
      yield* stop
    })
  )
})

