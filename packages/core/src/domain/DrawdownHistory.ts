/**
 * The drawdown history of an equity curve: the underwater curve and its worst drawdowns.
 *
 * - **Underwater** at a point `= equity / running peak − 1` (a fraction ≤ 0, at least −1), the
 *   first point being the first peak; 0 while the running peak is not above zero.
 * - A **drawdown** starts at a peak the curve then falls below, reaches its trough (the lowest
 *   point before recovery) and ends at its **recovery**: the first point back at or above the
 *   peak (none while it has not recovered). `depth = trough / peak − 1`, `length` the time from
 *   peak to recovery (or to the last point while under water).
 * - The **max drawdown** is the deepest one's depth (0 when it never fell).
 *
 * @since 0.3.0
 */
import type { Point } from "./EquityCurve.js"

/** One point of the underwater curve. */
export interface UnderwaterPoint {
  readonly at: number
  /** `equity / running peak − 1`, in [−1, 0]. */
  readonly drawdown: number
}

/** One drawdown period of the curve. */
export interface Period {
  readonly peakAt: number
  readonly peakEquity: number
  readonly troughAt: number
  readonly troughEquity: number
  /** First point back at or above the peak; `null` while under water. */
  readonly recoveryAt: number | null
  /** `trough / peak − 1`, in [−1, 0). */
  readonly depth: number
  /** Milliseconds from the peak to the recovery, or to the last point while under water. */
  readonly lengthMs: number
}

/** `equity / peak − 1` clamped to [−1, 0]; 0 when the peak is not above zero. */
export const depthOf = (peak: number, equity: number): number => {
  if (!(peak > 0)) return 0
  const d = equity / peak - 1
  return d >= 0 ? 0 : d <= -1 ? -1 : d
}

/** The underwater curve of time-ordered points. */
export const underwater = (points: ReadonlyArray<Point>): Array<UnderwaterPoint> => {
  const out: Array<UnderwaterPoint> = []
  let peak = Number.NEGATIVE_INFINITY
  for (const p of points) {
    if (p.equity > peak) peak = p.equity
    out.push({ at: p.at, drawdown: depthOf(peak, p.equity) })
  }
  return out
}

/** Every drawdown period of time-ordered points, oldest first. */
export const periods = (points: ReadonlyArray<Point>): Array<Period> => {
  const out: Array<Period> = []
  let peak: Point | undefined
  let trough: Point | undefined
  const close = (recoveryAt: number | null, endAt: number) => {
    if (peak !== undefined && trough !== undefined && trough.equity < peak.equity) {
      const depth = depthOf(peak.equity, trough.equity)
      if (depth < 0) {
        out.push({
          peakAt: peak.at,
          peakEquity: peak.equity,
          troughAt: trough.at,
          troughEquity: trough.equity,
          recoveryAt,
          depth,
          lengthMs: endAt - peak.at
        })
      }
    }
  }
  for (const p of points) {
    if (peak === undefined || p.equity >= peak.equity) {
      if (peak !== undefined && trough !== undefined && trough.equity < peak.equity) close(p.at, p.at)
      peak = p
      trough = p
    } else if (p.equity < trough!.equity) {
      trough = p
    }
  }
  const last = points[points.length - 1]
  if (last !== undefined) close(null, last.at)
  return out
}

/** The `n` deepest drawdowns, deepest first (ties: the earlier first). */
export const worst = (points: ReadonlyArray<Point>, n: number): Array<Period> =>
  periods(points)
    .map((p, i) => [p, i] as const)
    .sort(([a, i], [b, j]) => a.depth - b.depth || i - j)
    .slice(0, Math.max(0, n))
    .map(([p]) => p)

/** The max drawdown of time-ordered points: the deepest `depth`, 0 when it never fell. */
export const maxDrawdown = (points: ReadonlyArray<Point>): number => {
  let peak = Number.NEGATIVE_INFINITY
  let worstDepth = 0
  for (const p of points) {
    if (p.equity > peak) peak = p.equity
    else {
      const d = depthOf(peak, p.equity)
      if (d < worstDepth) worstDepth = d
    }
  }
  return worstDepth
}
