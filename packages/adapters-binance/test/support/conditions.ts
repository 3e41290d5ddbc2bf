/**
 * Bounded polling for tests against real sockets: wait for a condition instead of sleeping a
 * fixed time, and fail loudly (with the last value seen) when it does not come.
 */
import { inspect } from "node:util"
import { Cause, Effect, Layer, Logger, LogLevel } from "effect"

/** Runs `effect` every `intervalMs` until `predicate` holds; fails after `timeoutMs`. */
export const eventually = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  predicate: (a: A) => boolean,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number; readonly what?: string } = {}
): Effect.Effect<A, E | Error, R> =>
  Effect.gen(function*() {
    const deadline = Date.now() + (options.timeoutMs ?? 10_000)
    let last: A | undefined
    while (Date.now() < deadline) {
      last = yield* effect
      if (predicate(last)) return last
      yield* Effect.sleep(options.intervalMs ?? 20)
    }
    return yield* Effect.fail(new Error(`timed out waiting for ${options.what ?? "a condition"}; last value: ${inspect(last, { depth: 6 })}`))
  })

/** {@link eventually} over a plain function. */
export const waitFor = <A>(read: () => A, predicate: (a: A) => boolean, options: { readonly timeoutMs?: number; readonly what?: string } = {}) =>
  eventually(Effect.sync(read), predicate, options)

/** A logger that keeps every line (all levels, message, annotations, cause) for inspection. */
export const captureLogs = () => {
  const lines: Array<string> = []
  const logger = Logger.make(({ annotations, cause, logLevel, message }) => {
    lines.push(
      [logLevel.label, inspect(message, { depth: 10 }), inspect(annotations, { depth: 10 }), Cause.isEmpty(cause) ? "" : Cause.pretty(cause)].join(" ")
    )
  })
  const layer = Layer.merge(Logger.replace(Logger.defaultLogger, logger), Logger.minimumLogLevel(LogLevel.All))
  return { lines, layer }
}
