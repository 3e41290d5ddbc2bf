/**
 * The state's objects and the records they come from. Internal: see `Portfolio`.
 *
 * They are built field by field, never by spreading: `{ ...record, x }` gives every object its
 * own hidden class in V8, and a snapshot reading a thousand objects of a thousand shapes was
 * twenty times slower than reading one shape.
 */
import type { SymbolCategory } from "../../schema/Primitives.js"
import type { NetPositionRecord, OpenTradeRecord } from "../../schema/Records.js"
import type { NetPositionState, OpenTrade } from "../PortfolioState.js"

export const openTradeOf = (r: OpenTradeRecord, openedAtIso: string, sector: string): OpenTrade => ({
  trade_id: r.trade_id,
  symbol: r.symbol,
  side: r.side,
  entry_price: r.entry_price,
  size: r.size,
  original_size: r.original_size,
  leverage: r.leverage,
  category: r.category,
  opened_at: r.opened_at,
  realized_pnl: r.realized_pnl,
  fees: r.fees,
  updated_at: r.updated_at,
  openedAtIso,
  sector
})

export const netPositionOf = (r: NetPositionRecord, openedAtIso: string, sector: string, category: SymbolCategory): NetPositionState => ({
  symbol: r.symbol,
  side: r.side,
  size: r.size,
  entry_price: r.entry_price,
  leverage: r.leverage,
  opened_at: r.opened_at,
  realized_pnl: r.realized_pnl,
  fees: r.fees,
  updated_at: r.updated_at,
  openedAtIso,
  sector,
  category
})

/** The record of an open trade, without what the state derives. */
export const openTradeRecordOf = (t: OpenTrade): OpenTradeRecord => ({
  trade_id: t.trade_id,
  symbol: t.symbol,
  side: t.side,
  entry_price: t.entry_price,
  size: t.size,
  original_size: t.original_size,
  leverage: t.leverage,
  category: t.category,
  opened_at: t.opened_at,
  realized_pnl: t.realized_pnl,
  fees: t.fees,
  updated_at: t.updated_at
})

/** The record of a fills-mode position, without what the state derives. */
export const netPositionRecordOf = (p: NetPositionState): NetPositionRecord => ({
  symbol: p.symbol,
  side: p.side,
  size: p.size,
  entry_price: p.entry_price,
  leverage: p.leverage,
  opened_at: p.opened_at,
  realized_pnl: p.realized_pnl,
  fees: p.fees,
  updated_at: p.updated_at
})
