/**
 * Polls an effect until its value satisfies `done`, every 25 ms, for at most 20 s; fails with
 * the last value seen and what was awaited.
 */
import { Effect } from "effect"

export const waitFor = <A>(effect: Effect.Effect<A, Error>, done: (a: A) => boolean, what: string) =>
  Effect.gen(function* () {
    const deadline = Date.now() + 20_000
    for (;;) {
      const a = yield* effect
      if (done(a)) return a
      if (Date.now() > deadline) return yield* Effect.fail(new Error(`timed out waiting for ${what}; last: ${JSON.stringify(a)}`))
      yield* Effect.sleep("25 millis")
    }
  })
