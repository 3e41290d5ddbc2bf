import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Schema, TestClock } from "effect"
import { AccountBalance, EventBus, OutgoingPayloads, PortfolioConfig, type IncomingEventType } from "../src/index.js"
import { DAY, envelope, eventually, HOUR, iso, makePorts, published, start, T0 } from "./support/Service.js"

describe("PortfolioLive", () => {
  it.effect("runs a session: open → ticks → partial close → close, PnL windows roll over day and week", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { snapshotInterval: Duration.hours(6) })
      const ingest = (type: IncomingEventType, payload: Record<string, unknown>) => service.ingest(envelope(type, payload))

      expect((yield* ingest("trade.opened", { trade_id: "t1", symbol: "BTCUSDT", side: "BUY", entry_price: 40_000, quantity: 0.5, leverage: 5, timestamp: iso(T0) })).status).toBe("applied")
      expect((yield* ingest("market.tick", { symbol: "BTCUSDT", price: 41_000, timestamp: iso(T0 + 60_000) })).status).toBe("applied")
      let snap = yield* service.snapshot
      // uPnL = (41 000 − 40 000) × 0.5 = 500; equity = 10 000 + 500
      expect(snap.unrealized_pnl).toBe(500)
      expect(snap.total_equity).toBe(10_500)
      expect(snap.positions[0]!.roe_pct).toBeCloseTo(12.5, 12) // 500 / 20 000 × 100 × 5

      // Friday: partial close 0.2 @ 42 000 → realized (42 000 − 40 000) × 0.2 = 400
      yield* ingest("trade.closed", { trade_id: "t1", exit_price: 42_000, quantity: 0.2, timestamp: iso(T0 + HOUR) })
      yield* TestClock.setTime(T0 + HOUR)
      let pnl = yield* service.pnl
      expect(pnl.realized_pnl_today).toBe(400)
      expect(pnl.realized_pnl_week).toBe(400)
      snap = yield* service.snapshot
      expect(snap.positions[0]!.size).toBeCloseTo(0.3, 12)
      expect(snap.cash_balance).toBe(10_400)

      // Saturday: close the rest 0.3 @ 39 000 → −300
      const saturday = T0 + DAY
      yield* TestClock.setTime(saturday)
      yield* ingest("trade.closed", { trade_id: "t1", exit_price: 39_000, timestamp: iso(saturday) })
      pnl = yield* service.pnl
      expect(pnl.realized_pnl_today).toBe(-300)
      expect(pnl.realized_pnl_week).toBe(100)
      // One round trip (t1, +400 − 300 = +100), a win: no loss yet, so the sentinel profit factor.
      expect([pnl.num_closed_trades, pnl.num_winning_trades, pnl.win_rate]).toEqual([1, 1, 1])
      expect(pnl.profit_factor).toBe(1_000_000)
      expect((yield* service.snapshot).num_positions).toBe(0)

      // Monday: a new week and day; the month (March) still holds both closes
      yield* TestClock.setTime(T0 + 3 * DAY)
      pnl = yield* service.pnl
      expect(pnl.realized_pnl_today).toBe(0)
      expect(pnl.realized_pnl_week).toBe(0)
      expect(pnl.realized_pnl_month).toBe(100)
      expect(pnl.realized_pnl_total).toBe(100)

      const pnlEvents = yield* published(ports, "portfolio.pnl_updated")
      expect(pnlEvents.map((e) => e.trade_realized_pnl)).toEqual([400, -300])
      yield* stop
    }))

  it.effect("fills mode: a fill past zero flips the position and realizes the closed part", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { portfolio: { positionSource: "fills" } })
      const fill = (id: string, side: string, quantity: number, price: number, fee = 0) =>
        service.ingest(envelope("order.executed", { order_id: id, symbol: "ETHUSDT", side, quantity, price, fee, timestamp: iso(T0) }))
      yield* fill("o1", "BUY", 2, 3_000)
      yield* fill("o2", "BUY", 2, 3_100) // average entry 3 050
      yield* fill("o3", "SELL", 5, 3_200, 1) // closes 4: (3 200 − 3 050) × 4 − 1 = 599, opens 1 SHORT @ 3 200
      const positions = yield* service.netPositions
      expect(positions).toHaveLength(1)
      expect(positions[0]).toMatchObject({ symbol: "ETHUSDT", side: "SHORT", size: 1, entry_price: 3_200 })
      const pnl = yield* service.pnl
      expect(pnl.realized_pnl_total).toBeCloseTo(599, 9)
      expect(pnl.fees_total).toBe(1)
      yield* stop
    }))

  it.effect("a restarted program on the same stores gives the same snapshot and drawdown peaks", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const first = yield* start(ports)
      yield* first.service.ingest(envelope("trade.opened", { trade_id: "a", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 10, timestamp: iso(T0) }))
      yield* first.service.ingest(envelope("trade.opened", { trade_id: "b", symbol: "SOLUSDT", side: "SHORT", entry_price: 50, quantity: 4, timestamp: iso(T0) }))
      yield* first.service.ingest(envelope("market.tick", { symbol: "BTCUSDT", price: 150, timestamp: iso(T0 + 1_000) }))
      yield* TestClock.adjust("10 seconds") // a sample at the peak: 10 000 + 500
      yield* first.service.ingest(envelope("market.tick", { symbol: "BTCUSDT", price: 120, timestamp: iso(T0 + 11_000) }))
      yield* first.service.ingest(envelope("trade.closed", { trade_id: "b", exit_price: 45, quantity: 1, timestamp: iso(T0 + 12_000) }))
      yield* TestClock.adjust("10 seconds")
      const before = yield* first.service.snapshot
      const drawdownBefore = yield* first.service.drawdown
      yield* first.stop

      const second = yield* start(ports)
      const after = yield* second.service.snapshot
      const drawdownAfter = yield* second.service.drawdown
      expect(after).toEqual(before)
      expect(drawdownAfter.peak_equity).toBe(drawdownBefore.peak_equity)
      expect(drawdownAfter.max_drawdown_pct).toBeCloseTo(drawdownBefore.max_drawdown_pct, 12)
      expect(drawdownAfter.peak_equity).toBe(10_500)
      // A redelivered open after the restart is recognised by its id in the store.
      const again = yield* second.service.ingest(envelope("trade.opened", { trade_id: "a", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 10, timestamp: iso(T0) }))
      expect(again.status).toBe("duplicate")
      yield* second.stop
    }))

  it.effect("duplicates change nothing and are counted; an older tick is ignored", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports)
      const events: Array<[IncomingEventType, Record<string, unknown>]> = [
        ["trade.opened", { trade_id: "d1", symbol: "BTCUSDT", side: "SELL", entry_price: 200, quantity: 3, timestamp: iso(T0) }],
        ["trade.closed", { trade_id: "d1", exit_price: 190, quantity: 1, close_id: "c1", timestamp: iso(T0 + 1) }],
        ["order.executed", { order_id: "o1", symbol: "BTCUSDT", side: "BUY", quantity: 1, price: 195, timestamp: iso(T0 + 2) }],
        ["ess.tripped", { reason: "manual", timestamp: iso(T0 + 3) }]
      ]
      for (const [type, payload] of events) expect((yield* service.ingest(envelope(type, payload))).status).toBe("applied")
      const once = yield* service.snapshot
      for (const [type, payload] of events) expect((yield* service.ingest(envelope(type, payload))).status).toBe("duplicate")
      expect(yield* service.snapshot).toEqual(once)
      const stale = yield* service.ingest(envelope("market.tick", { symbol: "BTCUSDT", price: 1, timestamp: iso(T0) }))
      expect(stale.status).toBe("ignored")
      expect(stale.reason).toContain("older")
      const health = yield* service.health
      expect(health.events.duplicates).toEqual({ "trade.opened": 1, "trade.closed": 1, "order.executed": 1, "ess.tripped": 1 })
      // The close of an unknown trade is parked; when its open never comes within the grace
      // (5 minutes by default) it keeps its PnL and is counted as an orphan.
      const ghost = envelope("trade.closed", { trade_id: "ghost", symbol: "ETHUSDT", exit_price: 10, realized_pnl: 7, timestamp: iso(T0 + 5) })
      expect((yield* service.ingest(ghost)).status).toBe("parked")
      expect((yield* service.ingest(ghost)).status).toBe("duplicate")
      expect((yield* service.health).events.parked_closes).toBe(1)
      expect((yield* service.pnl).realized_pnl_total).toBe(10)
      yield* TestClock.adjust("5 minutes")
      yield* eventually(service.health, (h) => h.events.orphan_closes === 1)
      expect((yield* service.health).events.parked_closes).toBe(0)
      expect((yield* service.pnl).realized_pnl_total).toBe(10 + 7) // (200 − 190) × 1 + 7
      // A full close of a trade that is closed already is a duplicate, not a second orphan.
      yield* service.ingest(envelope("trade.closed", { trade_id: "d1", exit_price: 180, timestamp: iso(T0 + 6) }))
      const again = yield* service.ingest(envelope("trade.closed", { trade_id: "d1", exit_price: 170, timestamp: iso(T0 + 7) }))
      expect(again.status).toBe("duplicate")
      yield* stop
    }))

  const invalid: Array<[string, IncomingEventType, Record<string, unknown>, string]> = [
    ["trade_id missing", "trade.opened", { symbol: "BTCUSDT", side: "LONG", entry_price: 1, quantity: 1 }, "payload.trade_id"],
    ["symbol missing", "trade.opened", { trade_id: "x", side: "LONG", entry_price: 1, quantity: 1 }, "payload.symbol"],
    ["side missing", "trade.opened", { trade_id: "x", symbol: "BTCUSDT", entry_price: 1, quantity: 1 }, "payload.side"],
    ["entry_price missing", "trade.opened", { trade_id: "x", symbol: "BTCUSDT", side: "LONG", quantity: 1 }, "payload.entry_price"],
    ["quantity missing", "trade.opened", { trade_id: "x", symbol: "BTCUSDT", side: "LONG", entry_price: 1 }, "payload.quantity"],
    ["unknown side", "trade.opened", { trade_id: "x", symbol: "BTCUSDT", side: "UP", entry_price: 1, quantity: 1 }, "payload.side"],
    ["negative quantity", "trade.opened", { trade_id: "x", symbol: "BTCUSDT", side: "LONG", entry_price: 1, quantity: -1 }, "payload.quantity"],
    ["NaN price", "trade.opened", { trade_id: "x", symbol: "BTCUSDT", side: "LONG", entry_price: "NaN", quantity: 1 }, "payload.entry_price"],
    ["wrong type", "trade.opened", { trade_id: "x", symbol: "BTCUSDT", side: "LONG", entry_price: { v: 1 }, quantity: 1 }, "payload.entry_price"],
    ["exit_price missing", "trade.closed", { trade_id: "x" }, "payload.exit_price"],
    ["order_id missing", "order.executed", { symbol: "BTCUSDT", side: "BUY", quantity: 1, price: 1 }, "payload.order_id"],
    ["fill side SHORT", "order.executed", { order_id: "o", symbol: "BTCUSDT", side: "SHORT", quantity: 1, price: 1 }, "payload.side"],
    ["tick price zero", "market.tick", { symbol: "BTCUSDT", price: 0 }, "payload.price"],
    ["tick symbol missing", "market.tick", { price: 1 }, "payload.symbol"],
    ["bad timestamp", "market.tick", { symbol: "BTCUSDT", price: 1, timestamp: "yesterday" }, "payload.timestamp"]
  ]

  it.effect("invalid events are rejected with the field named, counted, and change nothing", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports)
      yield* service.ingest(envelope("trade.opened", { trade_id: "keep", symbol: "BTCUSDT", side: "LONG", entry_price: 10, quantity: 1, timestamp: iso(T0) }))
      const before = yield* service.snapshot
      for (const [name, type, payload, field] of invalid) {
        const result = yield* service.ingest(envelope(type, payload))
        expect(result.status, name).toBe("rejected")
        expect(result.issues.map((i) => i.path), name).toContain(field)
        expect(result.reason, name).toContain(field)
      }
      expect((yield* service.ingest({ event_type: "trade.opened", payload: "{not json" })).reason).toContain("not JSON")
      expect((yield* service.ingest({ event_type: "nope", payload: "{}" })).reason).toContain("unknown event type")
      // A value nested 100 000 deep is rejected, and its record among the rejections does not overflow.
      let deep: unknown = 1
      for (let i = 0; i < 100_000; i++) deep = [deep]
      expect((yield* service.ingest({ event_type: "trade.opened", payload: deep })).status).toBe("rejected")
      expect(yield* service.snapshot).toEqual(before)
      const health = yield* service.health
      const rejected = Object.values(health.events.rejected).reduce((a, b) => a + b, 0)
      expect(rejected).toBe(invalid.length + 3)
      expect((yield* service.rejections).length).toBe(invalid.length + 3)
      yield* stop
    }))

  it.effect("bus deliveries are applied and acknowledged; invalid ones are dead-lettered and the consumer goes on", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports)
      const bus = Context.get(ports.context, EventBus)
      yield* bus.publish(envelope("trade.opened", { trade_id: "b1", symbol: "BTCUSDT", side: "BUY", entry_price: 100, quantity: 1, timestamp: iso(T0) }))
      yield* bus.publish({ event_type: "market.tick", payload: '{"symbol":"BTCUSDT","price":"NaN"}', trace_id: "", source: "python" })
      yield* bus.publish({ event_type: "market.tick", payload: '{"symbol":"BTCUSDT","price":130}', trace_id: "", timestamp: iso(T0 + 5), source: "python" })
      const snap = yield* eventually(service.snapshot, (s) => s.unrealized_pnl === 30)
      expect(snap.num_positions).toBe(1)
      const dead = yield* ports.inspector.deadLetters("market.tick")
      expect(dead).toHaveLength(1)
      expect(dead[0]!.fields["error"]).toContain("payload.price")
      const counters = yield* ports.inspector.counters
      expect(counters["trade.opened"]!.acked).toBe(1)
      expect(counters["market.tick"]!.acked).toBe(1)
      yield* stop
    }))

  it.effect("the drawdown alert fires at the threshold, does not flap inside the band, and clears below it", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { drawdownAlertPct: 5, drawdownHysteresisPct: 1 })
      yield* service.ingest(envelope("trade.opened", { trade_id: "big", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 100, timestamp: iso(T0) }))
      let t = T0
      // equity = 10 000 + (price − 100) × 100; the day's peak is 10 000 (the first sample).
      const tickAndSample = (price: number) =>
        Effect.gen(function* () {
          t += 10_000
          yield* service.ingest(envelope("market.tick", { symbol: "BTCUSDT", price, timestamp: iso(t) }))
          yield* TestClock.adjust("10 seconds")
        })
      yield* tickAndSample(94.9) // 10 000 → 9 490: 5.1 % → crossed
      yield* tickAndSample(95.5) // 4.5 %: inside the band, still active
      yield* tickAndSample(94.5) // 5.5 %: already active, nothing new
      yield* tickAndSample(96.5) // 3.5 % < 4 %: recovered
      yield* tickAndSample(94.0) // 6 %: crossed again
      const alerts = yield* published(ports, "portfolio.drawdown_updated")
      expect(alerts.map((a) => a.reason)).toEqual(["threshold_crossed", "recovered", "threshold_crossed"])
      expect(alerts[0].daily_drawdown_pct).toBeCloseTo(5.1, 9)
      expect(alerts[0].alert_active).toBe(true)
      yield* service.ingest(envelope("ess.tripped", { reason: "drawdown", timestamp: iso(t + 1) }))
      const after = yield* published(ports, "portfolio.drawdown_updated")
      expect(after.at(-1)).toMatchObject({ reason: "ess_tripped", ess_reason: "drawdown" })
      yield* stop
    }))

  it.effect("publishes snapshot and exposure every interval, records equity samples, and a last snapshot on stop", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { stop } = yield* start(ports, { snapshotInterval: Duration.seconds(10) })
      const count = (type: string) => Effect.map(ports.inspector.published(type), (e) => e.length)
      expect(yield* count("portfolio.snapshot_updated")).toBe(1) // at start
      yield* TestClock.adjust("9 seconds")
      expect(yield* count("portfolio.snapshot_updated")).toBe(1)
      yield* TestClock.adjust("1 second")
      expect(yield* count("portfolio.snapshot_updated")).toBe(2)
      yield* TestClock.adjust("30 seconds")
      expect(yield* count("portfolio.snapshot_updated")).toBe(5)
      expect(yield* count("portfolio.exposure_updated")).toBe(5)
      expect((yield* ports.history.range()).map((s) => s.at)).toEqual([0, 10, 20, 30, 40].map((s) => T0 + s * 1000))
      yield* stop
      expect(yield* count("portfolio.snapshot_updated")).toBe(6)
      const last = (yield* ports.inspector.published("portfolio.snapshot_updated")).at(-1)!
      expect(last.fields["source"]).toBe("portfolio_intelligence")
      expect(last.fields["timestamp"]).toBe(new Date(T0 + 40_000).toISOString())
    }))

  it.effect("lifecycle snapshots are throttled: one at once, a burst coalesced into one trailing snapshot", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { snapshotInterval: Duration.hours(1), lifecycleSnapshotThrottle: Duration.millis(100) })
      const snapshots = Effect.map(ports.inspector.published("portfolio.snapshot_updated"), (e) => e.length)
      expect(yield* snapshots).toBe(1) // the periodic one at start
      for (let i = 0; i < 5; i++) {
        yield* service.ingest(envelope("trade.opened", { trade_id: `burst-${i}`, symbol: "BTCUSDT", side: "BUY", entry_price: 100, quantity: 1, timestamp: iso(T0) }))
      }
      expect(yield* snapshots).toBe(2) // the first open publishes at once
      yield* TestClock.adjust("100 millis")
      expect(yield* snapshots).toBe(3) // the other four in one trailing snapshot, which shows all five
      const last = (yield* published(ports, "portfolio.snapshot_updated")).at(-1)
      expect(last.num_positions).toBe(5)
      yield* TestClock.adjust("1 second")
      expect(yield* snapshots).toBe(3)
      yield* stop
    }))

  it.effect("every published payload decodes with its schema", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { lifecycleSnapshotThrottle: Duration.zero })
      yield* service.ingest(envelope("trade.opened", { trade_id: "s1", symbol: "BTCUSDT", side: "BUY", entry_price: 100, quantity: 1, timestamp: iso(T0) }))
      yield* service.ingest(envelope("trade.closed", { trade_id: "s1", exit_price: 90, timestamp: iso(T0 + 1) }))
      yield* service.ingest(envelope("ess.tripped", { reason: "test", timestamp: iso(T0 + 2) }))
      yield* TestClock.adjust("10 seconds")
      const entries = yield* ports.inspector.published()
      const types = new Set(entries.map((e) => e.eventType))
      expect([...types].sort()).toEqual(Object.keys(OutgoingPayloads).sort())
      for (const entry of entries) {
        const schema = OutgoingPayloads[entry.eventType as keyof typeof OutgoingPayloads] as Schema.Schema<any, any, never>
        expect(() => Schema.decodeUnknownSync(schema)(JSON.parse(entry.fields["payload"]!)), entry.eventType).not.toThrow()
      }
      yield* stop
    }))

  it.effect("health reconciles our net positions with the exchange's when cash comes from an exchange", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      let exchangeSize = 0.5
      // An exchange-backed balance: wallet cash and the exchange's book, as an exchange adapter answers them.
      const exchange = AccountBalance.of({
        balance: Effect.succeed({ source: "exchange", walletBalance: 20_000, readAt: T0, asset: "USDT" }),
        positions: Effect.sync(() => [
          { symbol: "BTCUSDT", side: "LONG", size: exchangeSize, entryPrice: 40_000, markPrice: 40_000, leverage: 5, unrealizedPnl: 0 }
        ]),
        health: Effect.succeed({ status: "ok", required: true, message: "exchange" })
      })
      const { service, stop } = yield* start({ ...ports, context: Context.add(ports.context, AccountBalance, exchange) })
      yield* service.ingest(envelope("trade.opened", { trade_id: "r1", symbol: "BTCUSDT", side: "LONG", entry_price: 40_000, quantity: 0.5, timestamp: iso(T0) }))
      let health = yield* service.health
      expect(health.components["reconciliation"]).toMatchObject({ status: "ok", required: false })
      expect((yield* service.snapshot).cash_balance).toBe(20_000)
      exchangeSize = 0.4
      health = yield* service.health
      expect(health.components["reconciliation"]!.status).toBe("degraded")
      expect(health.components["reconciliation"]!.message).toContain("BTCUSDT LONG")
      expect(health.status).toBe("degraded")
      yield* stop
    }))

  it.effect("paper cash has no exchange book to reconcile", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports)
      yield* service.ingest(envelope("trade.opened", { trade_id: "p1", symbol: "BTCUSDT", side: "LONG", entry_price: 1, quantity: 1, timestamp: iso(T0) }))
      const health = yield* service.health
      expect(Object.keys(health.components).sort()).toEqual(["balance", "bus", "price_feed", "store"])
      expect(health.status).toBe("ok")
      yield* stop
    }))

  it.effect("configuration errors name the variable", () =>
    Effect.gen(function* () {
      const read = (env: Record<string, string>) =>
        Effect.flip(Effect.withConfigProvider(PortfolioConfig.config, ConfigProvider.fromMap(new Map(Object.entries(env)))))
      expect(String(yield* read({ PORTFOLIO_TIMEZONE: "Mars/Base" }))).toContain("PORTFOLIO_TIMEZONE")
      expect(String(yield* read({ PORTFOLIO_POSITION_SOURCE: "both" }))).toContain("PORTFOLIO_POSITION_SOURCE")
      expect(String(yield* read({ PORTFOLIO_SNAPSHOT_INTERVAL: "-1" }))).toContain("PORTFOLIO_SNAPSHOT_INTERVAL")
      expect(String(yield* read({ PORTFOLIO_SECTORS: "BTCUSDT" }))).toContain("PORTFOLIO_SECTORS")
      expect(String(yield* read({ PORTFOLIO_DRAWDOWN_ALERT_PCT: "150" }))).toContain("PORTFOLIO_DRAWDOWN_ALERT_PCT")
      expect(String(yield* read({ PORTFOLIO_ORPHAN_GRACE: "soon" }))).toContain("PORTFOLIO_ORPHAN_GRACE")
      expect(String(yield* read({ PORTFOLIO_INGEST_MAX_ATTEMPTS: "0" }))).toContain("PORTFOLIO_INGEST_MAX_ATTEMPTS")
      expect(String(yield* read({ PORTFOLIO_INGEST_RETRY_CAP_MS: "-5" }))).toContain("PORTFOLIO_INGEST_RETRY_CAP_MS")
      const defaults = yield* Effect.withConfigProvider(PortfolioConfig.config, ConfigProvider.fromMap(new Map()))
      expect(defaults.portfolio.orphanGraceMs).toBe(300_000)
      expect(defaults.ingestMaxAttempts).toBe(8)
      const ok = yield* Effect.withConfigProvider(
        PortfolioConfig.config,
        ConfigProvider.fromMap(new Map([["PORTFOLIO_SNAPSHOT_INTERVAL", "0.5"], ["PORTFOLIO_SECTORS", "solusdt=L1, BTCUSDT=BTC"], ["PORTFOLIO_ORPHAN_GRACE", "2 minutes"]]))
      )
      expect(Duration.toMillis(ok.snapshotInterval)).toBe(500)
      expect(ok.portfolio.orphanGraceMs).toBe(120_000)
      expect(ok.portfolio.sectors).toEqual({ SOLUSDT: "L1", BTCUSDT: "BTC" })
      expect(defaults.portfolio.defaultCategory).toBe("EXPANSION")
      // DESIGN.md §11's form: a JSON object; its values checked like the pairs'.
      const json = yield* Effect.withConfigProvider(
        PortfolioConfig.config,
        ConfigProvider.fromMap(new Map([["PORTFOLIO_CATEGORIES", '{"btcusdt":"core","ETHUSDT":"MONITORING"}'], ["PORTFOLIO_SECTORS", '{"SOLUSDT":"L1"}']]))
      )
      expect(json.portfolio.categories).toEqual({ BTCUSDT: "CORE", ETHUSDT: "MONITORING" })
      expect(json.portfolio.sectors).toEqual({ SOLUSDT: "L1" })
      expect(String(yield* read({ PORTFOLIO_CATEGORIES: '{"BTCUSDT":"GOLD"}' }))).toContain("PORTFOLIO_CATEGORIES")
      expect(String(yield* read({ PORTFOLIO_CATEGORIES: '{"BTCUSDT":' }))).toContain("PORTFOLIO_CATEGORIES")
      expect(String(yield* read({ PORTFOLIO_SECTORS: '["L1"]' }))).toContain("PORTFOLIO_SECTORS")
    }))
})
