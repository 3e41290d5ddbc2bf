/**
 * A set of processed-event keys with an optional bound: past it, the oldest keys are forgotten
 * (the durable store stays the authority on what was processed).
 *
 * @since 0.1.0
 */

/** The set. Mutable, owned by one writer. */
export interface KeySet {
  readonly keys: Set<string>
  readonly limit: number
}

/** An empty set remembering at most `limit` keys (default: all). */
export const make = (limit = Number.POSITIVE_INFINITY): KeySet => ({ keys: new Set(), limit })

/** Whether `key` is remembered. */
export const has = (self: KeySet, key: string): boolean => self.keys.has(key)

/** Remembers `key`, forgetting the oldest keys past the limit. */
export const add = (self: KeySet, key: string): void => {
  self.keys.add(key)
  if (self.keys.size > self.limit) {
    const oldest = self.keys.values().next()
    if (!oldest.done) self.keys.delete(oldest.value)
  }
}

/** An independent copy. */
export const clone = (self: KeySet): KeySet => ({ keys: new Set(self.keys), limit: self.limit })
