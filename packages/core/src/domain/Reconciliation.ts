/**
 * Reconciliation: our net positions against the exchange's, per `(symbol, side)`. Pure and
 * deterministic: no Effect runtime, no clock. The service calls it with `TradeStore` net
 * positions (or the snapshot's net view) and `AccountBalance.positions`, and reports or alerts
 * on the differences.
 *
 * @since 0.1.0
 */
import type { ExchangePosition } from "../schema/ExchangePosition.js"
import type { PositionSide } from "../schema/Primitives.js"
import type { NetPosition } from "../schema/Responses.js"

/** Tolerances of {@link reconcile}. Both are relative: `|ours − theirs| / max(|ours|, |theirs|)`. */
export interface Options {
  /**
   * Relative tolerance on sizes. Default `1e-6`: far below any exchange's quantity step, far
   * above float64 noise from summing partial fills.
   */
  readonly sizeTolerance?: number | undefined
  /**
   * Relative tolerance on entry prices. Default `1e-4` (0.01 %): the exchange rounds its
   * average entry to the symbol's price precision, we do not.
   */
  readonly entryTolerance?: number | undefined
}

/** The default of {@link Options.sizeTolerance}. */
export const DEFAULT_SIZE_TOLERANCE = 1e-6
/** The default of {@link Options.entryTolerance}. */
export const DEFAULT_ENTRY_TOLERANCE = 1e-4

/** We hold a position the exchange does not report. */
export interface MissingOnExchange {
  readonly _tag: "MissingOnExchange"
  readonly symbol: string
  readonly side: PositionSide
  readonly ourSize: number
  readonly ourEntryPrice: number
}

/** The exchange reports a position we do not hold. */
export interface MissingHere {
  readonly _tag: "MissingHere"
  readonly symbol: string
  readonly side: PositionSide
  readonly theirSize: number
  readonly theirEntryPrice: number
}

/** Both hold the position, with sizes further apart than the tolerance. */
export interface SizeDiffers {
  readonly _tag: "SizeDiffers"
  readonly symbol: string
  readonly side: PositionSide
  readonly ourSize: number
  readonly theirSize: number
  /** `|ours − theirs| / max(|ours|, |theirs|)`. */
  readonly relativeDifference: number
}

/** Both hold the position, with entry prices further apart than the tolerance. */
export interface EntryDiffers {
  readonly _tag: "EntryDiffers"
  readonly symbol: string
  readonly side: PositionSide
  readonly ourEntryPrice: number
  readonly theirEntryPrice: number
  /** `|ours − theirs| / max(|ours|, |theirs|)`. */
  readonly relativeDifference: number
}

/** One difference between our book and the exchange's. */
export type Difference = MissingOnExchange | MissingHere | SizeDiffers | EntryDiffers

/** The outcome of {@link reconcile}. */
export interface Report {
  /** True when there is no difference. */
  readonly matched: boolean
  /** The differences, ordered by symbol, then side (LONG before SHORT), then kind. */
  readonly differences: ReadonlyArray<Difference>
  /** How many `(symbol, side)` keys were compared (held on either side). */
  readonly compared: number
}

/** The relative difference `|a − b| / max(|a|, |b|)`; 0 when both are 0, `NaN` when either is. */
export const relativeDifference = (a: number, b: number): number => {
  const scale = Math.max(Math.abs(a), Math.abs(b))
  return scale === 0 ? 0 : Math.abs(a - b) / scale
}

interface Net {
  size: number
  notional: number
  /** The entry of the first row: exact when the key has one row. */
  readonly firstEntry: number
  rows: number
}

const keyOf = (symbol: string, side: PositionSide): string => `${symbol.trim().toUpperCase()}\u0000${side}`

/** Aggregates rows per key (size = Σ sizes, entry = size-weighted average); zero sizes are no position. */
const aggregate = (rows: ReadonlyArray<{ symbol: string; side: PositionSide; size: number; entry: number }>) => {
  const out = new Map<string, Net>()
  for (const row of rows) {
    if (row.size === 0) continue
    const key = keyOf(row.symbol, row.side)
    const net = out.get(key)
    if (net === undefined) out.set(key, { size: row.size, notional: row.size * row.entry, firstEntry: row.entry, rows: 1 })
    else {
      net.size += row.size
      net.notional += row.size * row.entry
      net.rows += 1
    }
  }
  return out
}

const entryOf = (net: Net): number => (net.rows === 1 ? net.firstEntry : net.notional / net.size)

const SIDE_ORDER: Record<PositionSide, number> = { LONG: 0, SHORT: 1 }
const KIND_ORDER: Record<Difference["_tag"], number> = { MissingOnExchange: 0, MissingHere: 1, SizeDiffers: 2, EntryDiffers: 3 }

const compareDifferences = (a: Difference, b: Difference): number =>
  a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : SIDE_ORDER[a.side] - SIDE_ORDER[b.side] || KIND_ORDER[a._tag] - KIND_ORDER[b._tag]

/**
 * Compares our net positions with the exchange's by `(symbol, side)` (symbols compared
 * upper-case; several rows of one key are aggregated; a size of 0 is no position) and reports
 * each difference: held here only, held there only, size apart by more than
 * `sizeTolerance`, entry apart by more than `entryTolerance`. A non-finite number on either side
 * is always a difference.
 *
 * @example
 * const report = Reconciliation.reconcile(snapshotNetPositions, yield* balance.positions)
 * if (!report.matched) yield* Effect.logWarning("positions differ from the exchange", report.differences)
 */
export const reconcile = (
  ours: ReadonlyArray<NetPosition>,
  theirs: ReadonlyArray<ExchangePosition>,
  options: Options = {}
): Report => {
  const sizeTolerance = options.sizeTolerance ?? DEFAULT_SIZE_TOLERANCE
  const entryTolerance = options.entryTolerance ?? DEFAULT_ENTRY_TOLERANCE
  const mine = aggregate(ours.map((p) => ({ symbol: p.symbol, side: p.side, size: p.size, entry: p.entry_price })))
  const exchange = aggregate(theirs.map((p) => ({ symbol: p.symbol, side: p.side, size: p.size, entry: p.entryPrice })))
  const differences: Array<Difference> = []
  const keys = new Set([...mine.keys(), ...exchange.keys()])
  for (const key of keys) {
    const [symbol = "", rawSide] = key.split("\u0000")
    const side = rawSide as PositionSide
    const a = mine.get(key)
    const b = exchange.get(key)
    if (b === undefined && a !== undefined) {
      differences.push({ _tag: "MissingOnExchange", symbol, side, ourSize: a.size, ourEntryPrice: entryOf(a) })
    } else if (a === undefined && b !== undefined) {
      differences.push({ _tag: "MissingHere", symbol, side, theirSize: b.size, theirEntryPrice: entryOf(b) })
    } else if (a !== undefined && b !== undefined) {
      const sizeGap = relativeDifference(a.size, b.size)
      // `!(x <= tolerance)` also reports NaN.
      if (!(sizeGap <= sizeTolerance)) {
        differences.push({ _tag: "SizeDiffers", symbol, side, ourSize: a.size, theirSize: b.size, relativeDifference: sizeGap })
      }
      const ourEntry = entryOf(a)
      const theirEntry = entryOf(b)
      const entryGap = relativeDifference(ourEntry, theirEntry)
      if (!(entryGap <= entryTolerance)) {
        differences.push({
          _tag: "EntryDiffers",
          symbol,
          side,
          ourEntryPrice: ourEntry,
          theirEntryPrice: theirEntry,
          relativeDifference: entryGap
        })
      }
    }
  }
  differences.sort(compareDifferences)
  return { matched: differences.length === 0, differences, compared: keys.size }
}

/** One line describing a difference, for logs and alerts. */
export const describe = (difference: Difference): string => {
  const where = `${difference.symbol} ${difference.side}`
  switch (difference._tag) {
    case "MissingOnExchange":
      return `${where}: held here (size ${difference.ourSize} @ ${difference.ourEntryPrice}), not on the exchange`
    case "MissingHere":
      return `${where}: held on the exchange (size ${difference.theirSize} @ ${difference.theirEntryPrice}), not here`
    case "SizeDiffers":
      return `${where}: size ${difference.ourSize} here, ${difference.theirSize} on the exchange`
    case "EntryDiffers":
      return `${where}: entry ${difference.ourEntryPrice} here, ${difference.theirEntryPrice} on the exchange`
  }
}
