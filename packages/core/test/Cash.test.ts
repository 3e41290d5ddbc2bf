import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Either, Layer, Logger, LogLevel, TestClock } from "effect"
import * as Calendar from "../src/domain/Calendar.js"
import * as Drawdown from "../src/domain/Drawdown.js"
import * as Portfolio from "../src/domain/Portfolio.js"
import {
  AccountBalance,
  BalanceError,
  type CashBalance,
  CashUnavailable,
  type ComponentHealth,
  sanitizeReason
} from "../src/index.js"
import { makeValuer } from "../src/service/internal/publisher.js"
import { envelope, eventually, iso, makePorts, published, start, T0 } from "./support/Service.js"

/** An exchange balance port the test steers: what `balance` answers, and the port's own health. */
const steeredBalance = (initial: Either.Either<CashBalance, BalanceError>) => {
  let reading = initial
  let health: ComponentHealth = { status: "down", required: true, message: "no balance yet" }
  const port = AccountBalance.of({
    balance: Effect.suspend(() => Either.match(reading, { onLeft: Effect.fail, onRight: Effect.succeed })),
    positions: Effect.succeed([]),
    health: Effect.sync(() => health)
  })
  return {
    port,
    answer: (next: Either.Either<CashBalance, BalanceError>, nextHealth: ComponentHealth) => {
      reading = next
      health = nextHealth
    }
  }
}

/** Keeps every log line, "LEVEL message", for counting. */
const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => {
    lines.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`)
  })
  return { lines, layer: Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All)) }
}

const unreachable = new BalanceError({
  reason: "Binance unavailable on /fapi/v3/balance: fetch failed (https://fapi.binance.com/fapi/v3/balance?timestamp=1&signature=abc123) apiKey=k3y",
  retryable: true
})
const exchangeCash = (walletBalance: number, readAt: number, staleSince?: number): CashBalance => ({
  source: "exchange",
  walletBalance,
  readAt,
  asset: "USDT",
  assets: [{ asset: "USDT", balance: walletBalance, mark: 1, value: walletBalance }],
  ...(staleSince === undefined ? {} : { staleSince })
})
const ok: ComponentHealth = { status: "ok", required: true, message: "read" }

describe("cash from the balance port", () => {
  it.effect("never read: every query fails with CashUnavailable (no URL, no secret), snapshots wait, health down, logged once; then it resumes", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const balance = steeredBalance(Either.left(unreachable))
      const { service, stop } = yield* start({ ...ports, context: Context.add(ports.context, AccountBalance, balance.port) }, {
        snapshotInterval: Duration.hours(1),
        lifecycleSnapshotThrottle: Duration.zero
      })
      for (const query of [service.snapshot, service.pnl, service.exposure, service.drawdown, service.netPositions] as const) {
        const error = yield* Effect.flip(query as Effect.Effect<unknown, CashUnavailable>)
        expect(error).toBeInstanceOf(CashUnavailable)
        expect(error).toMatchObject({ _tag: "CashUnavailable", retryable: true })
        expect(error.message).toContain("Binance unavailable on /fapi/v3/balance")
        expect(error.message).not.toMatch(/https?:\/\//)
        expect(error.message).not.toContain("abc123")
        expect(error.message).not.toContain("k3y")
      }
      // A periodic snapshot and a lifecycle one neither crash nor publish an equity of 0.
      yield* service.publishSnapshot
      expect((yield* service.ingest(envelope("trade.opened", { trade_id: "c1", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 1, timestamp: iso(T0) }))).status).toBe("applied")
      yield* service.publishSnapshot
      expect(yield* published(ports, "portfolio.snapshot_updated")).toEqual([])
      const health = yield* service.health
      expect(health.components["balance"]).toMatchObject({ status: "down", required: true })
      expect(health.status).toBe("down")
      expect(logs.lines.filter((l) => l.includes("no cash balance yet"))).toHaveLength(1)

      balance.answer(Either.right(exchangeCash(20_000, T0)), ok)
      const snap = yield* service.snapshot
      expect(snap.cash_balance).toBe(20_000)
      expect(snap.total_equity).toBe(20_000)
      yield* service.publishSnapshot
      const sent = yield* published(ports, "portfolio.snapshot_updated")
      expect(sent.map((s) => s.cash_balance)).toContain(20_000)
      expect(sent.every((s) => s.total_equity === 20_000)).toBe(true)
      // The lifecycle fiber survived the snapshot it could not value: the next open publishes one.
      const before = sent.length
      yield* service.ingest(envelope("trade.opened", { trade_id: "c2", symbol: "ETHUSDT", side: "LONG", entry_price: 10, quantity: 1, timestamp: iso(T0) }))
      const after = yield* eventually(published(ports, "portfolio.snapshot_updated"), (all) => all.length > before)
      expect(after.at(-1)).toMatchObject({ cash_balance: 20_000, num_positions: 2 })
      expect((yield* service.health).components["balance"]!.status).toBe("ok")
      expect(logs.lines.filter((l) => l.includes("no cash balance yet"))).toHaveLength(1)
      expect(logs.lines.filter((l) => l.includes("cash balance read"))).toHaveLength(1)
      yield* stop
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("stale: the last known cash is served, health degraded with cash_stale_since, the outage logged once when it starts and once when it ends", () => {
    const logs = captureLogs()
    return Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const balance = steeredBalance(Either.right(exchangeCash(15_000, T0)))
      balance.answer(Either.right(exchangeCash(15_000, T0)), ok)
      const { service, stop } = yield* start({ ...ports, context: Context.add(ports.context, AccountBalance, balance.port) })
      expect((yield* service.snapshot).cash_balance).toBe(15_000)

      // The adapter's reads fail from T0 + 1 min: it answers its last good value, marked stale.
      const since = T0 + 60_000
      balance.answer(Either.right(exchangeCash(15_000, T0, since)), ok)
      yield* TestClock.setTime(T0 + 5 * 60_000)
      for (let i = 0; i < 5; i++) {
        const snap = yield* service.snapshot
        expect(snap.cash_balance).toBe(15_000)
        expect(snap.total_equity).toBe(15_000)
      }
      const health = yield* service.health
      expect(health.components["balance"]).toMatchObject({
        status: "degraded",
        required: true,
        details: { cash_stale_since: new Date(since).toISOString() }
      })
      expect(health.components["balance"]!.message).toContain(new Date(since).toISOString())
      expect(health.status).toBe("degraded")
      expect(logs.lines.filter((l) => l.startsWith("WARN") && l.includes("cash balance stale since"))).toEqual([
        `WARN cash balance stale since ${new Date(since).toISOString()}: equity uses the last known cash`
      ])

      balance.answer(Either.right(exchangeCash(15_500, T0 + 5 * 60_000)), ok)
      for (let i = 0; i < 3; i++) expect((yield* service.snapshot).cash_balance).toBe(15_500)
      expect((yield* service.health).components["balance"]!.status).toBe("ok")
      expect(logs.lines.filter((l) => l.includes("cash balance fresh again"))).toHaveLength(1)
      expect(logs.lines.filter((l) => l.includes("cash balance stale since"))).toHaveLength(1)
      yield* stop
    }).pipe(Effect.provide(logs.layer))
  })

  it.effect("a port that fails after a good read: the valuer serves the last cash, stale since its first failure; fresh again on the next good read", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const balance = steeredBalance(Either.right(exchangeCash(8_000, T0)))
      const valuer = makeValuer({ current: Portfolio.make(), drawdown: Drawdown.make(Calendar.make()) }, balance.port)
      const first = yield* valuer.valueNow
      expect([first.cash, first.equity, first.cashStaleSince]).toEqual([8_000, 8_000, null])

      balance.answer(Either.left(unreachable), ok)
      yield* TestClock.setTime(T0 + 1_000)
      const failed = yield* valuer.valueNow
      expect([failed.cash, failed.cashStaleSince]).toEqual([8_000, T0 + 1_000])
      yield* TestClock.setTime(T0 + 9_000)
      expect((yield* valuer.valueNow).cashStaleSince).toBe(T0 + 1_000)

      // The port's own staleSince wins when it has one.
      balance.answer(Either.right(exchangeCash(8_000, T0, T0 + 500)), ok)
      expect((yield* valuer.valueNow).cashStaleSince).toBe(T0 + 500)
      balance.answer(Either.right(exchangeCash(8_100, T0 + 9_000)), ok)
      const fresh = yield* valuer.valueNow
      expect([fresh.cash, fresh.cashStaleSince]).toEqual([8_100, null])
    }))

  it.effect("paper cash is never stale and never unavailable", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const valuer = makeValuer({ current: Portfolio.make(), drawdown: Drawdown.make(Calendar.make()) }, Context.get(ports.context, AccountBalance))
      const v = yield* valuer.valueNow
      expect([v.cash, v.cashStaleSince]).toEqual([10_000, null])
    }))

  it("sanitizeReason removes URLs and credential-like values, keeps the words", () => {
    expect(sanitizeReason("fetch failed: GET https://fapi.binance.com/fapi/v3/balance?signature=abc failed")).toBe("fetch failed: GET <url> failed")
    expect(sanitizeReason("bad signature=abcdef and api_key: zzz, secret=s")).toBe("bad signature=<redacted> and api_key: <redacted> secret=<redacted>")
    expect(sanitizeReason("Binance unavailable on /fapi/v3/balance: connect ECONNREFUSED 127.0.0.1:443")).toBe(
      "Binance unavailable on /fapi/v3/balance: connect ECONNREFUSED 127.0.0.1:443"
    )
  })
})
