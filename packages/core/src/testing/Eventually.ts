/**
 * The one polling helper of every package's tests: wait for a condition instead of sleeping a
 * fixed time, bounded, and fail loudly with what was awaited and the last value seen.
 *
 * It waits on the real clock (a `setTimeout`), so it works the same under effect's `TestClock`
 * (the service's own fibers run between polls) and against real servers.
 *
 * @since 0.2.0
 */
import { Data, Duration, Effect } from "effect"
import { inspect } from "node:util"

/** The condition did not hold in time. */
export class TimedOut extends Data.TaggedError("TimedOut")<{ readonly what: string; readonly last: string }> {
  override get message(): string {
    return `timed out waiting for ${this.what}; last value: ${this.last}`
  }
}

/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** What is awaited, for the error (default "a condition"). */
  readonly what?: string | undefined
  /** How long to wait at most (default 10 s). */
  readonly timeout?: Duration.DurationInput | undefined
  /** How long between two polls (default 10 ms). */
  readonly interval?: Duration.DurationInput | undefined
}

const realSleep = (ms: number) => Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, ms)))

/**
 * Runs `effect` until `until` holds for its value (answered), polling every `interval` of real
 * time, failing with {@link TimedOut} after `timeout`.
 *
 * @example
 * const snap = yield* eventually(service.snapshot, (s) => s.num_positions === 2, { what: "two positions" })
 */
export const eventually = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  until: (a: A) => boolean,
  options: EventuallyOptions = {}
): Effect.Effect<A, E | TimedOut, R> =>
  Effect.gen(function* () {
    const deadline = Date.now() + Duration.toMillis(options.timeout ?? "10 seconds")
    const interval = Duration.toMillis(options.interval ?? "10 millis")
    for (;;) {
      const a = yield* effect
      if (until(a)) return a
      if (Date.now() > deadline) {
        return yield* new TimedOut({ what: options.what ?? "a condition", last: typeof a === "string" ? a : inspect(a, { depth: 6 }) })
      }
      yield* realSleep(interval)
    }
  })
