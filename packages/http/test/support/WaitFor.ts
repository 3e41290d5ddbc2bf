/**
 * The one polling helper of the tests: runs an effect every 20 ms until its value satisfies
 * `done`, for at most `within` (20 s by default); fails with what was awaited and the last
 * value seen.
 */
import { Duration, Effect } from "effect"

/** What `waitFor` fails with. */
export class TimedOut extends Error {}

export const waitFor = <A, E>(
  effect: Effect.Effect<A, E>,
  done: (a: A) => boolean,
  what: string,
  within: Duration.DurationInput = "20 seconds"
): Effect.Effect<A, E | TimedOut> =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(within)
    for (;;) {
      const a = yield* effect
      if (done(a)) return a
      if (Date.now() > deadline) {
        const last = typeof a === "string" ? a : JSON.stringify(a)
        return yield* Effect.fail(new TimedOut(`timed out after ${Duration.format(within)} waiting for ${what}; last: ${last}`))
      }
      yield* Effect.sleep("20 millis")
    }
  })
