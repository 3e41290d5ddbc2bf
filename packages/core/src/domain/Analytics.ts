/**
 * Risk-adjusted statistics of a return series (DESIGN.md §11), as empyrical and NautilusTrader
 * define them, so their published test vectors hold to 1e-12:
 *
 * - Sharpe `= mean(r) / std(r, ddof 1) × √periodsPerYear`;
 * - Sortino `= mean(r) × periodsPerYear / (√(Σ min(r, 0)² / n) × √periodsPerYear)` (the
 *   downside deviation of every period against a 0 target, empyrical's `downside_risk`);
 * - annual return (CAGR) `= (Π (1 + r))^(periodsPerYear / n) − 1`;
 * - annual volatility `= std(r, ddof 1) × √periodsPerYear`;
 * - max drawdown `= min (value / running peak − 1)` of the compounded curve, the starting
 *   value 1 being the first peak;
 * - Calmar `= annual return / |max drawdown|`.
 *
 * A return may be `null` (a period without a defined return, empyrical's `NaN`): it counts as a
 * period of the annual return (with return 0) and is left out of means and deviations. Every
 * undefined figure (too few returns, a deviation within 1e-12 of zero, no drawdown) is `null`,
 * never `NaN` or `Infinity`. Sums are compensated (`Sum`). Pure: no runtime, no clock.
 *
 * @example
 * Analytics.sharpe([0.01, -0.02, 0.015, -0.005, 0.025], { periodsPerYear: 252 }) // 4.48998886412873
 *
 * @since 0.3.0
 */
import * as Sum from "./Sum.js"

/** A period's simple return, or `null` when the period has none (empyrical's `NaN`). */
export type Return = number | null

/** Options of the annualized statistics. */
export interface AnnualizationOptions {
  /** Periods per year: 365 for daily crypto returns (the default), 252 for equities. */
  readonly periodsPerYear?: number
}

/** Periods per year of daily returns when none is given: crypto trades every day. */
export const DEFAULT_PERIODS_PER_YEAR = 365

/** A deviation within this of zero makes a ratio undefined (DESIGN.md §3 "Dust"). */
export const ZERO_DEVIATION = 1e-12

const periods = (options: AnnualizationOptions | undefined): number => options?.periodsPerYear ?? DEFAULT_PERIODS_PER_YEAR

/** The defined, finite returns of a series (nulls and non-finite values left out). */
export const defined = (returns: ReadonlyArray<Return>): Array<number> => {
  const out: Array<number> = []
  for (const r of returns) if (r !== null && Number.isFinite(r)) out.push(r)
  return out
}

/** `x` when finite, else `null`: what leaves the core is never `NaN` or `Infinity`. */
export const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null)

/** The arithmetic mean (compensated sum / n); `null` for no values. */
export const mean = (values: ReadonlyArray<number>): number | null =>
  values.length === 0 ? null : Sum.of(values) / values.length

/**
 * The sample standard deviation `√(Σ (x − mean)² / (n − ddof))` (two passes, compensated);
 * `null` when `n ≤ ddof`.
 */
export const stdev = (values: ReadonlyArray<number>, ddof = 1): number | null => {
  const n = values.length
  if (n <= ddof) return null
  const m = Sum.of(values) / n
  const s = Sum.make()
  for (const x of values) Sum.add(s, (x - m) * (x - m))
  return Math.sqrt(Math.max(0, Sum.value(s)) / (n - ddof))
}

/**
 * Simple returns of consecutive values: `vᵢ / vᵢ₋₁ − 1`, `null` where the previous value is not
 * positive (a return from zero or below is undefined). `n` values give `n − 1` returns.
 */
export const simpleReturns = (values: ReadonlyArray<number>): Array<Return> => {
  const out: Array<Return> = []
  for (let i = 1; i < values.length; i++) {
    const prev = values[i - 1]!
    out.push(prev > 0 ? finiteOrNull(values[i]! / prev - 1) : null)
  }
  return out
}

/**
 * Sharpe ratio `mean(r) / std(r, ddof 1) × √periodsPerYear` (risk-free rate 0, as empyrical's
 * and NautilusTrader's defaults). `null` with fewer than 2 returns or a deviation ≤ 1e-12.
 */
export const sharpe = (returns: ReadonlyArray<Return>, options?: AnnualizationOptions): number | null => {
  const r = defined(returns)
  const sd = stdev(r, 1)
  if (sd === null || sd <= ZERO_DEVIATION) return null
  return finiteOrNull((Sum.of(r) / r.length / sd) * Math.sqrt(periods(options)))
}

/**
 * Downside deviation against a 0 target, annualized: `√(Σ min(r, 0)² / n) × √periodsPerYear`
 * over every defined return (empyrical's `downside_risk`). `null` for no returns.
 */
export const downsideRisk = (returns: ReadonlyArray<Return>, options?: AnnualizationOptions): number | null => {
  const r = defined(returns)
  if (r.length === 0) return null
  const s = Sum.make()
  for (const x of r) if (x < 0) Sum.add(s, x * x)
  return Math.sqrt(Sum.value(s) / r.length) * Math.sqrt(periods(options))
}

/**
 * Sortino ratio `mean(r) × periodsPerYear / downsideRisk(r)` (empyrical's `sortino_ratio`,
 * NautilusTrader's `SortinoRatio`). `null` with fewer than 2 returns or a downside deviation
 * ≤ 1e-12 (no losing period).
 */
export const sortino = (returns: ReadonlyArray<Return>, options?: AnnualizationOptions): number | null => {
  const r = defined(returns)
  if (r.length < 2) return null
  const down = downsideRisk(r, options)
  if (down === null || down <= ZERO_DEVIATION) return null
  return finiteOrNull(((Sum.of(r) / r.length) * periods(options)) / down)
}

/** Annual volatility `std(r, ddof 1) × √periodsPerYear`; `null` with fewer than 2 returns. */
export const annualVolatility = (returns: ReadonlyArray<Return>, options?: AnnualizationOptions): number | null => {
  const sd = stdev(defined(returns), 1)
  return sd === null ? null : finiteOrNull(sd * Math.sqrt(periods(options)))
}

/** The compounded growth `Π (1 + r) − 1` (null returns count as 0). */
export const cumulativeReturn = (returns: ReadonlyArray<Return>): number => {
  let growth = 1
  for (const r of returns) if (r !== null && Number.isFinite(r)) growth *= 1 + r
  return growth - 1
}

/**
 * Annual return (compound annual growth rate) `(Π (1 + r))^(periodsPerYear / n) − 1`, `n`
 * counting every period (null ones too, as empyrical does). `null` for no periods or a growth
 * to zero or below.
 */
export const annualReturn = (returns: ReadonlyArray<Return>, options?: AnnualizationOptions): number | null => {
  if (returns.length === 0) return null
  const growth = 1 + cumulativeReturn(returns)
  if (!(growth > 0)) return null
  return finiteOrNull(Math.pow(growth, periods(options) / returns.length) - 1)
}

/**
 * Max drawdown of the compounded return curve, a fraction ≤ 0: `min (vᵢ / max₍ⱼ≤ᵢ₎ vⱼ − 1)` with
 * `v₀ = 1` (the starting value is the first peak). 0 when it never fell; −1 at worst.
 */
export const maxDrawdownOfReturns = (returns: ReadonlyArray<Return>): number => {
  let value = 1
  let peak = 1
  let worst = 0
  for (const r of returns) {
    if (r === null || !Number.isFinite(r)) continue
    value *= 1 + r
    if (value > peak) peak = value
    else {
      const d = Math.max(-1, value / peak - 1)
      if (d < worst) worst = d
    }
  }
  return worst
}

/** Calmar ratio `annualReturn / |maxDrawdown|`; `null` when there was no drawdown. */
export const calmar = (returns: ReadonlyArray<Return>, options?: AnnualizationOptions): number | null => {
  const dd = maxDrawdownOfReturns(returns)
  const ar = annualReturn(returns, options)
  if (dd >= 0 || ar === null) return null
  return finiteOrNull(ar / -dd)
}

/** Every statistic of a return series at once (see the module's formulas). */
export interface ReturnStatistics {
  readonly periods: number
  readonly cumulativeReturn: number
  readonly annualReturn: number | null
  readonly annualVolatility: number | null
  readonly sharpe: number | null
  readonly sortino: number | null
  readonly calmar: number | null
  readonly maxDrawdown: number
}

/** The statistics of a return series. */
export const statistics = (returns: ReadonlyArray<Return>, options?: AnnualizationOptions): ReturnStatistics => ({
  periods: returns.length,
  cumulativeReturn: cumulativeReturn(returns),
  annualReturn: annualReturn(returns, options),
  annualVolatility: annualVolatility(returns, options),
  sharpe: sharpe(returns, options),
  sortino: sortino(returns, options),
  calmar: calmar(returns, options),
  maxDrawdown: maxDrawdownOfReturns(returns)
})

/**
 * Pearson correlation `cov(x, y) / (σx σy)` of two equally long series (pairs with a null on
 * either side left out); `null` with fewer than 2 pairs or a deviation ≤ 1e-12.
 */
export const pearson = (x: ReadonlyArray<Return>, y: ReadonlyArray<Return>): number | null => {
  const xs: Array<number> = []
  const ys: Array<number> = []
  const n = Math.min(x.length, y.length)
  for (let i = 0; i < n; i++) {
    const a = x[i]
    const b = y[i]
    if (a === null || b === null || a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) continue
    xs.push(a)
    ys.push(b)
  }
  if (xs.length < 2) return null
  const mx = Sum.of(xs) / xs.length
  const my = Sum.of(ys) / ys.length
  const sxy = Sum.make()
  const sxx = Sum.make()
  const syy = Sum.make()
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx
    const dy = ys[i]! - my
    Sum.add(sxy, dx * dy)
    Sum.add(sxx, dx * dx)
    Sum.add(syy, dy * dy)
  }
  const sx = Math.sqrt(Sum.value(sxx) / (xs.length - 1))
  const sy = Math.sqrt(Sum.value(syy) / (ys.length - 1))
  if (sx <= ZERO_DEVIATION || sy <= ZERO_DEVIATION) return null
  const r = Sum.value(sxy) / (xs.length - 1) / (sx * sy)
  return finiteOrNull(Math.max(-1, Math.min(1, r)))
}

/**
 * Pearson correlation of every pair of named series (each series one value per period, aligned
 * by index): `matrix[i][j]` for `names[i]`, `names[j]` (1 on the diagonal when defined).
 */
export const correlationMatrix = (
  series: ReadonlyMap<string, ReadonlyArray<Return>>
): { readonly names: Array<string>; readonly matrix: Array<Array<number | null>> } => {
  const names = [...series.keys()].sort()
  const matrix = names.map((a) => names.map((b) => pearson(series.get(a)!, series.get(b)!)))
  return { names, matrix }
}
