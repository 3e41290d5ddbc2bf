/**
 * The daily-drawdown alert with hysteresis: it fires when the daily drawdown reaches the
 * threshold and clears only when it falls below `threshold − hysteresis`, so an equity that
 * hovers at the threshold does not flap.
 *
 * @since 0.1.0
 */

/** What an evaluation found: the new state and the transition, if any. */
export interface Evaluation {
  readonly active: boolean
  readonly transition: "threshold_crossed" | "recovered" | undefined
}

/**
 * Evaluates the alert for the current daily drawdown.
 *
 * @example
 * evaluate(false, 5.2, 5, 1) // { active: true, transition: "threshold_crossed" }
 * evaluate(true, 4.5, 5, 1)  // { active: true, transition: undefined } (inside the band)
 * evaluate(true, 3.9, 5, 1)  // { active: false, transition: "recovered" }
 */
export const evaluate = (active: boolean, dailyDrawdownPct: number, thresholdPct: number, hysteresisPct: number): Evaluation => {
  if (!active && dailyDrawdownPct >= thresholdPct && thresholdPct > 0) return { active: true, transition: "threshold_crossed" }
  if (active && dailyDrawdownPct < thresholdPct - hysteresisPct) return { active: false, transition: "recovered" }
  return { active, transition: undefined }
}
