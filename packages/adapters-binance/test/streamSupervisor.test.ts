import { describe, expect, it } from "@effect/vitest"
import { Effect, Random, ScheduleDecision, ScheduleIntervals } from "effect"
import * as fc from "fast-check"
import { type Lost, reconnectSchedule } from "../src/internal/streamSupervisor.js"

/** The delays the schedule chooses for these failures, one step at a time. */
const delaysFor = (settings: { initialDelayMs: number; maxDelayMs: number }, failures: ReadonlyArray<Lost>, seed: number) =>
  Effect.gen(function*() {
    const schedule = reconnectSchedule(settings)
    let state = schedule.initial
    let now = 0
    const delays: Array<number> = []
    for (const lost of failures) {
      const [next, , decision] = yield* schedule.step(now, lost, state)
      if (!ScheduleDecision.isContinue(decision)) return yield* Effect.die(new Error("the reconnect schedule stopped"))
      const delay = ScheduleIntervals.start(decision.intervals) - now
      delays.push(delay)
      state = next
      now += delay + lost.livedMs
    }
    return delays
  }).pipe(Effect.withRandom(Random.make(seed)))

describe("reconnectSchedule", () => {
  it.effect("doubles from the initial delay up to the cap, jittered ±20 %, and starts over after a connection that lived", () =>
    Effect.gen(function*() {
      const settings = { initialDelayMs: 500, maxDelayMs: 30_000 }
      const flap = { reason: "lost", livedMs: 100 }
      const lived = { reason: "lost", livedMs: 60_000 }
      const failures = [flap, flap, flap, flap, flap, flap, flap, flap, lived, flap]
      const delays = yield* delaysFor(settings, failures, 42)
      const nominal = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 500, 1_000]
      delays.forEach((delay, i) => {
        expect(delay).toBeGreaterThanOrEqual(0.8 * nominal[i]! - 1e-9)
        expect(delay).toBeLessThanOrEqual(1.2 * nominal[i]! + 1e-9)
      })
      // The jitter is there: not every delay is the nominal one.
      expect(delays.some((delay, i) => Math.abs(delay - nominal[i]!) > 1)).toBe(true)
    }))

  it.effect("property: the n-th delay since the last long-lived connection is min(max, initial·2ⁿ) within ±20 %", () =>
    Effect.sync(() =>
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 5_000 }),
          fc.integer({ min: 1, max: 100 }),
          fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 1, maxLength: 40 }),
          fc.integer(),
          (initialDelayMs, factor, lives, seed) => {
            const settings = { initialDelayMs, maxDelayMs: initialDelayMs * factor }
            const failures = lives.map((livedMs) => ({ reason: "lost", livedMs }))
            const delays = Effect.runSync(delaysFor(settings, failures, seed))
            // Oracle: a counter of failures since the last connection that lived longer than the cap.
            let n = 0
            failures.forEach((lost, i) => {
              if (lost.livedMs > settings.maxDelayMs) n = 0
              const nominal = Math.min(settings.maxDelayMs, initialDelayMs * 2 ** n)
              n += 1
              const delay = delays[i]!
              if (delay < 0.8 * nominal - 1e-6 || delay > 1.2 * nominal + 1e-6) {
                throw new Error(`failure ${i}: delay ${delay} ms, expected ${nominal} ms ± 20 %`)
              }
            })
          }
        ),
        { numRuns: 300 }
      )
    ))

  it("caps the delay even after many failures", () => {
    const failures = Array.from({ length: 2_000 }, () => ({ reason: "refused", livedMs: 0 }))
    const delays = Effect.runSync(delaysFor({ initialDelayMs: 20, maxDelayMs: 200 }, failures, 7))
    expect(Math.max(...delays)).toBeLessThanOrEqual(240)
    expect(delays.at(-1)).toBeGreaterThanOrEqual(160)
  })
})
