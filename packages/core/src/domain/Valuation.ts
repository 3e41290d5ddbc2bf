/**
 * Marks the open positions to market and builds what the service answers: the snapshot, the
 * PnL breakdown, the exposure breakdown, the net positions and the drawdown metrics. One pass
 * over the positions, O(positions); the store is never read.
 *
 * Equity is `cash + Σ unrealized`; exposure of a position is `size × mark`, total = long +
 * short, net = long − short, and `exposure_pct_of_equity = total / equity × 100` (0 when equity
 * is not positive). A position whose symbol has no price yet is marked at its entry (uPnL 0)
 * and flagged `price_stale`.
 *
 * @since 0.1.0
 */
import type { PnlUpdated } from "../schema/EventsOut.js"
import { formatEventTime } from "../schema/Primitives.js"
import type { ClosedTradeRecord } from "../schema/Records.js"
import type { DrawdownMetrics, ExposureBreakdown, NetPosition, PnLBreakdown, PortfolioSnapshot, PositionInfo } from "../schema/Responses.js"
import type { PositionSide } from "../schema/Primitives.js"
import * as Drawdown from "./Drawdown.js"
import * as PnlStats from "./PnlStats.js"
import type { Portfolio } from "./Portfolio.js"
import { categoryOf, positionKey } from "./Portfolio.js"
import * as Position from "./Position.js"
import * as RiskBuckets from "./RiskBuckets.js"
import * as Sum from "./Sum.js"

/** A portfolio marked to market at one moment. */
export interface Valuation {
  readonly now: number
  readonly cash: number
  readonly positions: ReadonlyArray<PositionInfo>
  readonly unrealizedPnl: number
  readonly equity: number
  readonly longExposure: number
  readonly shortExposure: number
  readonly totalExposure: number
  readonly exposureBySymbol: Readonly<Record<string, number>>
  readonly exposureBySector: Readonly<Record<string, number>>
  /** Epoch ms of the first failed cash read since the last good one; `null` (or absent) when cash is fresh. */
  readonly cashStaleSince?: number | null | undefined
}

const finite = (x: number): number => (Number.isFinite(x) ? x : 0)

/** Exposure summed per key (symbol or sector), in order of first appearance. */
const exposureBy = (positions: ReadonlyArray<PositionInfo>, key: (p: PositionInfo) => string): Record<string, number> => {
  const sums = new Map<string, number>()
  for (const p of positions) {
    const k = key(p)
    sums.set(k, (sums.get(k) ?? 0) + p.exposure)
  }
  const out: Record<string, number> = {}
  for (const [k, v] of sums) out[k] = v
  return out
}

/**
 * Exposure per risk bucket (DESIGN.md §11): every category, empty ones at 0, in
 * {@link RiskBuckets.CATEGORIES}' order; compensated sums.
 */
const exposureByCategory = (positions: ReadonlyArray<PositionInfo>): Record<string, number> => {
  const sums = new Map(RiskBuckets.CATEGORIES.map((c) => [c as string, Sum.make()]))
  for (const p of positions) Sum.add(sums.get(p.category)!, p.exposure)
  const out: Record<string, number> = {}
  for (const [k, v] of sums) out[k] = Sum.value(v)
  return out
}

/** The running totals of one valuation. */
interface Marking {
  readonly positions: Array<PositionInfo>
  readonly unrealized: Sum.Sum
  readonly long: Sum.Sum
  readonly short: Sum.Sum
}

/**
 * The last marking of each open trade or net position, by the record (immutable: replaced when
 * the trade changes), with the mark it was made at (replaced on every price of its symbol): a
 * valuation reuses the same `PositionInfo` object while neither changed, so those who keep what
 * they derive from it (the HTTP layer's encoded positions) recognise it by identity.
 */
const marked = new WeakMap<object, { readonly mark: unknown; readonly info: PositionInfo }>()

/** Marks one position at its symbol's last price (its entry when there is none yet). */
const markPosition = (
  self: Portfolio,
  acc: Marking,
  owner: object,
  tradeId: string,
  symbol: string,
  side: PositionSide,
  size: number,
  entry: number,
  leverage: number,
  openedAtIso: string,
  realized: number,
  category: PositionInfo["category"],
  sector: string
): void => {
  const mark = self.marks.get(symbol)
  const known = marked.get(owner)
  if (known !== undefined && known.mark === mark) {
    Sum.add(acc.unrealized, known.info.unrealized_pnl)
    Sum.add(side === "LONG" ? acc.long : acc.short, known.info.exposure)
    acc.positions.push(known.info)
    return
  }
  const price = mark === undefined ? entry : mark.price
  const upnl = Position.unrealizedPnl(side, entry, size, price)
  const upnlPct = Position.unrealizedPnlPct(upnl, entry, size)
  const exposure = Position.exposure(size, price)
  Sum.add(acc.unrealized, upnl)
  Sum.add(side === "LONG" ? acc.long : acc.short, exposure)
  const info: PositionInfo = {
    trade_id: tradeId,
    symbol,
    side,
    size,
    entry_price: entry,
    current_price: price,
    unrealized_pnl: upnl,
    unrealized_pnl_pct: upnlPct,
    roe_pct: Position.roePct(upnlPct, leverage),
    exposure,
    leverage,
    category,
    sector,
    opened_at: openedAtIso,
    realized_pnl: realized,
    price_stale: mark === undefined
  }
  marked.set(owner, { mark, info })
  acc.positions.push(info)
}

/**
 * A valuation as {@link value} builds it. The exposures by symbol and by sector are worked out
 * on first read (a snapshot does not need them), by getters on the prototype: spreading a
 * valuation (`{ ...v }`) leaves them out. (A getter in an object literal instead made V8 build
 * every snapshot fifteen times slower.)
 */
class MarkedPortfolio implements Valuation {
  #bySymbol: Record<string, number> | undefined = undefined
  #bySector: Record<string, number> | undefined = undefined
  constructor(
    readonly now: number,
    readonly cash: number,
    readonly positions: ReadonlyArray<PositionInfo>,
    readonly unrealizedPnl: number,
    readonly equity: number,
    readonly longExposure: number,
    readonly shortExposure: number,
    readonly totalExposure: number
  ) {}
  get exposureBySymbol(): Readonly<Record<string, number>> {
    return (this.#bySymbol ??= exposureBy(this.positions, (p) => p.symbol))
  }
  get exposureBySector(): Readonly<Record<string, number>> {
    return (this.#bySector ??= exposureBy(this.positions, (p) => p.sector))
  }
}

/**
 * Paper cash (DESIGN.md §3): the initial cash plus every realized PnL, net of fees
 * `= initial + Σ realized`. What a paper account and a backtest hold.
 */
export const paperCash = (self: Portfolio, initialCash: number): number => initialCash + PnlStats.total(self.pnl)

/**
 * Marks every open position at the latest price of its symbol and sums the results with
 * compensated summation.
 */
export const value = (self: Portfolio, cash: number, now: number): Valuation => {
  const acc: Marking = { positions: [], unrealized: Sum.make(), long: Sum.make(), short: Sum.make() }
  for (const t of self.trades.values()) {
    const category = t.category ?? categoryOf(self, t.symbol)
    markPosition(self, acc, t, t.trade_id, t.symbol, t.side, t.size, t.entry_price, t.leverage, t.openedAtIso, t.realized_pnl, category, t.sector)
  }
  for (const p of self.positions.values()) {
    markPosition(self, acc, p, positionKey(p.symbol, p.side), p.symbol, p.side, p.size, p.entry_price, p.leverage, p.openedAtIso, p.realized_pnl, p.category, p.sector)
  }
  const u = Sum.value(acc.unrealized)
  const l = Sum.value(acc.long)
  const s = Sum.value(acc.short)
  return new MarkedPortfolio(now, cash, acc.positions, u, cash + u, l, s, l + s)
}

/** `total / equity × 100`, 0 when equity is not positive. */
export const exposurePctOfEquity = (v: Valuation): number => (v.equity > 0 ? finite((v.totalExposure / v.equity) * 100) : 0)

/** The `PortfolioSnapshot` of a valuation; `drawdown` gives its daily drawdown (0 without). */
export const snapshot = (self: Portfolio, v: Valuation, drawdown?: Drawdown.Drawdown): PortfolioSnapshot => {
  const realizedToday = PnlStats.today(self.pnl, v.now)
  const snapshot: PortfolioSnapshot = {
    total_equity: v.equity,
    cash_balance: v.cash,
    total_exposure: v.totalExposure,
    num_positions: v.positions.length,
    positions: v.positions,
    unrealized_pnl: v.unrealizedPnl,
    realized_pnl_today: realizedToday,
    realized_pnl_total: PnlStats.total(self.pnl),
    daily_pnl: realizedToday + v.unrealizedPnl,
    daily_drawdown_pct: drawdown === undefined ? 0 : Drawdown.metrics(drawdown, v.now, v.equity).dailyDrawdownPct,
    exposure_pct_of_equity: exposurePctOfEquity(v),
    timestamp: formatEventTime(v.now)
  }
  // Only while cash is stale: the wire stays null-free, and the original's model unchanged.
  return v.cashStaleSince == null ? snapshot : { ...snapshot, cash_stale_since: formatEventTime(v.cashStaleSince) }
}

/** The `PnLBreakdown` of a valuation. */
export const pnl = (self: Portfolio, v: Valuation): PnLBreakdown => {
  const s = self.pnl
  const today = PnlStats.today(s, v.now)
  return {
    realized_pnl_today: today,
    realized_pnl_week: PnlStats.week(s, v.now),
    realized_pnl_month: PnlStats.month(s, v.now),
    realized_pnl_total: PnlStats.total(s),
    unrealized_pnl: v.unrealizedPnl,
    total_pnl: today + v.unrealizedPnl,
    win_rate: PnlStats.winRate(s),
    profit_factor: PnlStats.profitFactor(s),
    num_closed_trades: s.closes,
    num_winning_trades: s.wins,
    num_losing_trades: s.losses,
    num_breakeven_trades: s.breakevens,
    gross_profit: Sum.value(s.grossProfit),
    gross_loss: Sum.value(s.grossLoss),
    fees_total: Sum.value(s.fees),
    best_trade_pnl: s.best,
    worst_trade_pnl: s.worst,
    timestamp: formatEventTime(v.now)
  }
}

/**
 * The `portfolio.pnl_updated` payload for closes that just happened: the breakdown, the
 * original model's `daily_pnl` / `weekly_pnl` / `monthly_pnl` (realized in the window +
 * unrealized), and the closes' trade and realized PnL. `breakdown` is `pnl(self, v)`; pass it
 * when publishing several closes of one valuation.
 */
export const pnlUpdated = (
  self: Portfolio,
  v: Valuation,
  closes: ReadonlyArray<ClosedTradeRecord>,
  breakdown: PnLBreakdown = pnl(self, v)
): PnlUpdated => {
  const last = closes[closes.length - 1]
  return {
    ...breakdown,
    daily_pnl: breakdown.realized_pnl_today + v.unrealizedPnl,
    weekly_pnl: breakdown.realized_pnl_week + v.unrealizedPnl,
    monthly_pnl: breakdown.realized_pnl_month + v.unrealizedPnl,
    trade_id: last?.trade_id ?? null,
    symbol: last?.symbol ?? null,
    trade_realized_pnl: closes.reduce((sum, c) => sum + c.realized_pnl, 0)
  }
}

/** The `ExposureBreakdown` of a valuation. */
export const exposure = (v: Valuation): ExposureBreakdown => ({
  total_exposure: v.totalExposure,
  long_exposure: v.longExposure,
  short_exposure: v.shortExposure,
  net_exposure: v.longExposure - v.shortExposure,
  exposure_by_symbol: v.exposureBySymbol,
  exposure_by_sector: v.exposureBySector,
  exposure_by_category: exposureByCategory(v.positions),
  exposure_pct_of_equity: exposurePctOfEquity(v),
  timestamp: formatEventTime(v.now)
})

/** The `DrawdownMetrics` for a valuation's equity. */
export const drawdown = (d: Drawdown.Drawdown, v: Valuation): DrawdownMetrics => {
  const m = Drawdown.metrics(d, v.now, v.equity)
  return {
    daily_drawdown_pct: m.dailyDrawdownPct,
    weekly_drawdown_pct: m.weeklyDrawdownPct,
    max_drawdown_pct: m.maxDrawdownPct,
    peak_equity: m.peakEquity,
    current_equity: m.currentEquity,
    trough_equity: m.troughEquity,
    peak_equity_today: m.peakEquityToday,
    days_since_peak: m.daysSincePeak,
    peak_at: formatEventTime(m.peakAt),
    recovery_progress_pct: m.recoveryProgressPct,
    timestamp: formatEventTime(v.now)
  }
}

/**
 * The net view per `(symbol, side)`: size = Σ sizes, entry = size-weighted average entry,
 * in order of first appearance.
 */
export const netPositions = (v: Valuation): Array<NetPosition> => {
  const groups = new Map<string, { symbol: string; side: PositionSide; size: Sum.Sum; cost: Sum.Sum; upnl: Sum.Sum; exposure: Sum.Sum; price: number; n: number }>()
  for (const p of v.positions) {
    const key = `${p.symbol}|${p.side}`
    let g = groups.get(key)
    if (g === undefined) {
      g = { symbol: p.symbol, side: p.side, size: Sum.make(), cost: Sum.make(), upnl: Sum.make(), exposure: Sum.make(), price: p.current_price, n: 0 }
      groups.set(key, g)
    }
    Sum.add(g.size, p.size)
    Sum.add(g.cost, p.size * p.entry_price)
    Sum.add(g.upnl, p.unrealized_pnl)
    Sum.add(g.exposure, p.exposure)
    g.n++
  }
  return [...groups.values()].map((g) => {
    const size = Sum.value(g.size)
    return {
      symbol: g.symbol,
      side: g.side,
      size,
      entry_price: size > 0 ? Sum.value(g.cost) / size : 0,
      current_price: g.price,
      unrealized_pnl: Sum.value(g.upnl),
      exposure: Sum.value(g.exposure),
      num_trades: g.n
    }
  })
}
