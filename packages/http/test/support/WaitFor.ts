/**
 * The http tests' polling helper: core's one `eventually` (`@portfolio/core/testing`), every
 * 20 ms for at most `within` (20 s by default); fails with what was awaited and the last value
 * seen.
 */
import * as Testing from "@portfolio/core/testing"
import type { Duration, Effect } from "effect"

/** Runs `effect` until `done` holds for its value. */
export const waitFor = <A, E>(
  effect: Effect.Effect<A, E>,
  done: (a: A) => boolean,
  what: string,
  within: Duration.DurationInput = "20 seconds"
): Effect.Effect<A, E | Testing.TimedOut> => Testing.eventually(effect, done, { what, timeout: within, interval: "20 millis" })
