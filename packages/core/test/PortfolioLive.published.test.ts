/**
 * The service's `published` stream: every event it publishes, in order, with the payload's
 * JSON text exactly as the bus carries it (encoded once, reused by HTTP push).
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Stream } from "effect"
import { envelope, eventually, makePorts, start, T0 } from "./support/Service.js"

describe("PortfolioService.published", () => {
  it.scopedLive("carries each published event with the bus's payload text", () =>
    Effect.gen(function* () {
      const ports = yield* makePorts
      const { service, stop } = yield* start(ports)
      const taken = yield* service.published.pipe(
        Stream.filter((e) => e.type === "portfolio.pnl_updated"),
        Stream.take(1),
        Stream.runCollect,
        Effect.fork
      )
      yield* Effect.sleep("20 millis") // the subscription is open before the events
      const at = new Date(T0).toISOString()
      yield* service.ingest(envelope("trade.opened", { trade_id: "P1", symbol: "BTCUSDT", side: "LONG", entry_price: 100, quantity: 2, timestamp: at }))
      yield* service.ingest(envelope("trade.closed", { trade_id: "P1", exit_price: 110, timestamp: at }))
      const [event] = Chunk.toReadonlyArray(yield* Fiber.join(taken))
      expect(event!.payloadJson).toBe(JSON.stringify(event!.payload))
      const onBus = yield* eventually(ports.inspector.published("portfolio.pnl_updated"), (entries) => entries.length === 1)
      expect(onBus[0]!.fields["payload"]).toBe(event!.payloadJson)
      yield* stop
    })
  )
})
