/**
 * Risk buckets (DESIGN.md §11): every symbol belongs to a category — CORE, EXPANSION,
 * MONITORING or TOXIC — from the configured map (`PORTFOLIO_CATEGORIES`), unknown symbols to
 * EXPANSION as the original service does. Per bucket: the open positions' exposure
 * (`Σ size × mark`), its share of equity (`exposure / equity × 100`, `null` when equity is not
 * positive), the unrealized PnL of its positions, the realized PnL of its symbols' closes, and
 * its symbols.
 *
 * @since 0.3.0
 */
import type { SymbolCategory } from "../schema/Primitives.js"
import * as Sum from "./Sum.js"

/** Every category, in the order the buckets are reported. */
export const CATEGORIES: ReadonlyArray<SymbolCategory> = ["CORE", "EXPANSION", "MONITORING", "TOXIC"]

/** The category of unknown symbols, as the original service has it. */
export const DEFAULT_CATEGORY: SymbolCategory = "EXPANSION"

/** The category of `symbol`: the configured one, else `fallback` (EXPANSION). */
export const categoryOf = (
  categories: Readonly<Record<string, SymbolCategory>>,
  symbol: string,
  fallback: SymbolCategory = DEFAULT_CATEGORY
): SymbolCategory => categories[symbol] ?? fallback

/** One open position as a bucket counts it. */
export interface Holding {
  readonly symbol: string
  readonly exposure: number
  readonly unrealizedPnl: number
}

/** One risk bucket's figures. */
export interface Bucket {
  readonly category: SymbolCategory
  readonly exposure: number
  readonly sharePct: number | null
  readonly unrealizedPnl: number
  readonly realizedPnl: number
  readonly symbols: Array<string>
}

/**
 * The four buckets (every category, empty ones too) of the holdings and realized PnL per
 * symbol, against `equity`.
 */
export const buckets = (
  holdings: Iterable<Holding>,
  realizedBySymbol: ReadonlyMap<string, number>,
  equity: number,
  category: (symbol: string) => SymbolCategory
): Array<Bucket> => {
  const accs = new Map(CATEGORIES.map((c) => [c, { exposure: Sum.make(), unrealized: Sum.make(), realized: Sum.make(), symbols: new Set<string>() }]))
  for (const h of holdings) {
    const acc = accs.get(category(h.symbol))!
    Sum.add(acc.exposure, h.exposure)
    Sum.add(acc.unrealized, h.unrealizedPnl)
    acc.symbols.add(h.symbol)
  }
  for (const [symbol, pnl] of realizedBySymbol) {
    const acc = accs.get(category(symbol))!
    Sum.add(acc.realized, pnl)
    acc.symbols.add(symbol)
  }
  return CATEGORIES.map((c) => {
    const acc = accs.get(c)!
    const exposure = Sum.value(acc.exposure)
    const share = equity > 0 ? (exposure / equity) * 100 : null
    return {
      category: c,
      exposure,
      sharePct: share !== null && Number.isFinite(share) ? share : null,
      unrealizedPnl: Sum.value(acc.unrealized),
      realizedPnl: Sum.value(acc.realized),
      symbols: [...acc.symbols].sort()
    }
  })
}
