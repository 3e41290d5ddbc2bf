/**
 * The queries' shared valuation (`PortfolioService.view`): one view answers while nothing it
 * depends on changes, a new one as soon as something does — an event, a price, the clock past
 * `queryCacheMaxAge`, the day — and every query agrees with a fresh valuation.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, TestClock } from "effect"
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
})
