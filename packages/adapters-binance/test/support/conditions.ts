/**
 * Bounded polling for tests against real sockets: wait for a condition instead of sleeping a
 * fixed time, and fail loudly (with the last value seen) when it does not come.
 */
import { inspect } from "node:util"
import * as Testing from "@portfolio/core/testing"
import { Cause, Effect, Layer, Logger, LogLevel } from "effect"

/** Runs `effect` every `intervalMs` until `predicate` holds; fails after `timeoutMs`: core's one polling helper. */
export const eventually = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  predicate: (a: A) => boolean,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number; readonly what?: string } = {}
) => Testing.eventually(effect, predicate, { what: options.what, timeout: options.timeoutMs ?? 10_000, interval: options.intervalMs ?? 20 })

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
