/**
 * The queries' shared valuation (`PortfolioService.view`): one view answers while nothing it
 * depends on changes, a new one as soon as something does — an event, a price, the clock past
 * `queryCacheMaxAge`, the day — and every query agrees with a fresh valuation.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, TestClock } from "effect"
import { AccountBalance } from "../src/index.js"
import { T0, envelope, makePorts, start } from "./support/Service.js"

const open = (id: string, symbol: string, price: number) =>
  envelope("trade.opened", { trade_id: id, symbol, side: "LONG", entry_price: price, quantity: 2, timestamp: new Date(T0).toISOString() })

describe("PortfolioService.view", () => {
  it.effect("is shared while nothing changes, renewed by an event, a price, the clock and the day", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { queryCacheMaxAge: Duration.seconds(1) })

      const first = yield* service.view
      const same = yield* service.view
      expect(same).toBe(first)
      expect(first.at).toBe(T0)
      expect(first.snapshot.timestamp).toBe(new Date(T0).toISOString())

      // An event: a new view, with its own tag, showing it.
      yield* service.ingest(open("V1", "BTCUSDT", 100))
      const afterEvent = yield* service.view
      expect(afterEvent).not.toBe(first)
      expect(afterEvent.tag).not.toBe(first.tag)
      expect(afterEvent.snapshot.num_positions).toBe(1)
      expect(yield* service.snapshot).toBe(afterEvent.snapshot)

      // A price: a new view with the new mark.
      yield* service.ingest(envelope("market.tick", { symbol: "BTCUSDT", price: 110 }))
      const afterTick = yield* service.view
      expect(afterTick).not.toBe(afterEvent)
      expect(afterTick.snapshot.unrealized_pnl).toBeCloseTo(20, 9)
      expect((yield* service.pnl).unrealized_pnl).toBeCloseTo(20, 9)
      expect((yield* service.exposure).total_exposure).toBeCloseTo(220, 9)
      expect((yield* service.netPositions)[0]!.size).toBe(2)

      // The clock alone: shared within the age, renewed past it.
      yield* TestClock.adjust(Duration.millis(999))
      expect(yield* service.view).toBe(afterTick)
      yield* TestClock.adjust(Duration.millis(1))
      const aged = yield* service.view
      expect(aged).not.toBe(afterTick)
      expect(aged.at).toBe(afterTick.at + 1000)

      yield* stop
    })
  )

  it.effect("a zero age values every query afresh", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { queryCacheMaxAge: Duration.zero })
      const a = yield* service.view
      const b = yield* service.view
      expect(b).not.toBe(a)
      expect(b.snapshot).toEqual(a.snapshot)
      yield* stop
    })
  )

  it.effect("never serves yesterday's windows: a new day renews the view even within its age", () =>
    Effect.gen(function* () {
      const midnight = Date.parse("2025-03-08T00:00:00Z")
      yield* TestClock.setTime(midnight - 200)
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports, { queryCacheMaxAge: Duration.hours(1) })
      const before = yield* service.view
      yield* TestClock.adjust(Duration.millis(100))
      expect(yield* service.view).toBe(before)
      yield* TestClock.adjust(Duration.millis(100))
      const after = yield* service.view
      expect(after).not.toBe(before)
      expect(after.at).toBe(midnight)
      yield* stop
    })
  )

  it.effect("peekView: the last view without reading the cash, while it is current and the cash was read within 100 ms", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(T0)
      const ports = yield* makePorts
      // An exchange's balance, changed by the test (a balance port's poller does so).
      let wallet = 1_000
      const exchange = AccountBalance.of({
        balance: Effect.sync(() => ({ source: "exchange" as const, walletBalance: wallet, readAt: T0, asset: "USDT" })),
        positions: Effect.succeed([]),
        health: Effect.succeed({ status: "ok" as const, required: true, message: "test" })
      })
      const { service, stop } = yield* start({ ...ports, context: Context.add(ports.context, AccountBalance, exchange) }, {
        queryCacheMaxAge: Duration.seconds(1)
      })

      expect(service.peekView(T0)).toBeUndefined() // no view yet
      const first = yield* service.view
      expect(service.peekView(T0)).toBe(first)
      expect(service.peekView(T0 + 99)).toBe(first)
      expect(service.peekView(T0 + 100)).toBeUndefined() // the cash is to be read again
      expect(service.peekView(T0 - 1)).toBeUndefined() // a clock behind the view

      // An event: the view it was built from is no longer current.
      yield* service.ingest(open("P1", "BTCUSDT", 100))
      expect(service.peekView(T0)).toBeUndefined()
      const afterEvent = yield* service.view
      expect(afterEvent.snapshot.num_positions).toBe(1)
      expect(service.peekView(T0)).toBe(afterEvent)

      // A new balance shows once the cash is read again (by `view`), at most 100 ms later.
      wallet = 2_000
      expect(service.peekView(T0 + 50)).toBe(afterEvent)
      yield* TestClock.adjust(Duration.millis(50))
      const afterCash = yield* service.view
      expect(afterCash).not.toBe(afterEvent)
      expect(afterCash.snapshot.cash_balance).toBe(2_000)
      expect(service.peekView(T0 + 50)).toBe(afterCash)

      // Past the view's age: not current.
      expect(service.peekView(T0 + 50 + 99)).toBe(afterCash)
      yield* TestClock.adjust(Duration.millis(99))
      yield* service.view // reads the cash at T0 + 149: still the same view
      expect(service.peekView(T0 + 1_049)).toBeUndefined()
      yield* stop
    })
  )
})
