import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { MemoryEquityHistory } from "../src/memory/index.js"
import { equityHistoryContract, equitySample } from "../src/testing/EquityHistoryContract.js"

equityHistoryContract("MemoryEquityHistory", () => MemoryEquityHistory.layer)

describe("MemoryEquityHistory", () => {
  it.effect("each make is a separate, empty history", () =>
    Effect.gen(function*() {
      const a = yield* MemoryEquityHistory.make
      const b = yield* MemoryEquityHistory.make
      yield* a.append(equitySample(1, 100))
      expect((yield* a.extremes).count).toBe(1)
      expect(yield* b.latest).toBeNull()
    }))

  it.effect("a drawdown is measured against the running peak, not the final one", () =>
    Effect.gen(function*() {
      const history = yield* MemoryEquityHistory.make
      // Falls 50 % from 200, then a higher peak at 1000 falls only 10 %.
      for (const [i, e] of [200, 100, 1000, 900].entries()) yield* history.append(equitySample(i, e))
      const extremes = yield* history.extremes
      expect(extremes.max_drawdown_pct).toBe(50)
      expect(extremes.peak?.equity).toBe(1000)
      expect(extremes.trough_since_peak?.equity).toBe(900)
    }))
})
