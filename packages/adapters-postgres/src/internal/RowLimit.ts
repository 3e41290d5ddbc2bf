/**
 * The `limit` of a `TimeRange` as SQL wants it.
 *
 * @internal
 */
import type { TimeRange } from "@portfolio/core"

/** `undefined` (no limit, also for `Infinity`), or a whole number of rows, at least 0. */
export const rowLimit = (range: TimeRange | undefined): number | undefined => {
  const limit = range?.limit
  return limit === undefined || limit === Number.POSITIVE_INFINITY ? undefined : Math.max(0, Math.floor(limit) || 0)
}
