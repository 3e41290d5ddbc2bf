/**
 * Compensated (Neumaier) summation: sums over many float64 terms that do not drift.
 *
 * A plain running total of a million trade PnLs can be off in its last several digits; this
 * keeps a second float with the low-order bits lost at each addition, so the result is as
 * accurate as if it were computed with twice the precision, whatever the order of magnitude of
 * the terms.
 *
 * @since 0.1.0
 */

/**
 * A mutable compensated accumulator. Owned by one writer.
 *
 * @example
 * const s = Sum.make()
 * Sum.add(s, 1e16); Sum.add(s, 1); Sum.add(s, -1e16)
 * Sum.value(s) // 1 (a plain running total gives 0)
 */
export interface Sum {
  total: number
  compensation: number
}

/** A new accumulator, optionally starting at `initial`. */
export const make = (initial = 0): Sum => ({ total: initial, compensation: 0 })

/** Adds one term (Neumaier's variant of Kahan summation). */
export const add = (self: Sum, term: number): void => {
  const t = self.total + term
  if (Math.abs(self.total) >= Math.abs(term)) {
    self.compensation += self.total - t + term
  } else {
    self.compensation += term - t + self.total
  }
  self.total = t
}

/** The compensated value of the sum. */
export const value = (self: Sum): number => self.total + self.compensation

/** An independent copy. */
export const clone = (self: Sum): Sum => ({ total: self.total, compensation: self.compensation })

/** The compensated sum of an array of terms. */
export const of = (terms: Iterable<number>): number => {
  const s = make()
  for (const t of terms) add(s, t)
  return value(s)
}
