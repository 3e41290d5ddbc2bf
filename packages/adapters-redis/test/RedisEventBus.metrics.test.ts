/**
 * The bus reports its consumer group's lag per stream to the metrics (`portfolio_consumer_lag`
 * in `/metrics`): every few seconds while it is open: the entries written that no one read
 * yet, 0 once they were delivered.
 */
import { describe, expect, it } from "@effect/vitest"
import { EventBus, Metrics } from "@portfolio/core"
import { Effect, Metric } from "effect"
import { RedisEventBus } from "../src/index.js"
import { consume, eventually, pythonFields, redisForFile, xadd } from "./harness.js"

const redis = redisForFile()

const tick = (n: number) => pythonFields("market.tick", { symbol: "BTCUSDT", price: 40_000 + n })
const lagOf = (stream: string) => Effect.map(Metric.value(Metrics.consumerLag.pipe(Metric.tagged("stream", stream))), (s) => s.value)

describe("RedisEventBus consumer lag", () => {
  it.live("is reported to the metrics per stream: what waits, then 0 once it was delivered", () => {
    const options = redis.busOptions()
    const key = `${options.streamPrefix}market.tick`
    return Effect.gen(function*() {
      const raw = redis.raw()
      for (let n = 0; n < 4; n++) yield* xadd(raw, key, "*", tick(n))
      yield* EventBus
      expect(yield* consume(["market.tick"], 4)).toHaveLength(4)
      // Nobody reads any more: what is written now waits in the stream.
      for (let n = 4; n < 7; n++) yield* xadd(raw, key, "*", tick(n))
      yield* eventually("the lag reported as 3", Effect.map(lagOf("market.tick"), (lag) => lag === 3), 15_000)
      // Read again: nothing waits.
      expect(yield* consume(["market.tick"], 3)).toHaveLength(3)
      yield* eventually("the lag reported as 0", Effect.map(lagOf("market.tick"), (lag) => lag === 0), 15_000)
    }).pipe(Effect.provide(RedisEventBus.layer(options)))
  }, 40_000)
})
