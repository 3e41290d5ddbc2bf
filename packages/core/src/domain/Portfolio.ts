/**
 * The portfolio state and its transitions: apply an event, get what changed.
 *
 * The state is a value owned by one writer and updated in place, so a price tick costs O(1)
 * (a map write) and a backtest replays millions of events without copying. Everything is
 * deterministic: no clock, no I/O, no randomness; the same events in the same order give the
 * same state. Use {@link clone} when you need an independent copy.
 *
 * A transition has two halves, so a service can persist before it applies:
 * - {@link decide} reads the state and the event and answers a {@link Decision} (the records to
 *   store, the price to set, flags) without changing anything;
 * - {@link evolve} applies a decision to the state.
 * {@link apply} does both.
 *
 * @example
 * const p = Portfolio.make({ timeZone: "Europe/Oslo" })
 * Portfolio.apply(p, event) // → Decision
 *
 * @since 0.1.0
 */
import type { IncomingEvent } from "../schema/EventsIn.js"
import type { PositionSide, SymbolCategory } from "../schema/Primitives.js"
import { formatEventTime } from "../schema/Primitives.js"
import type { ClosedTradeRecord, FillRecord, NetPositionRecord, OpenTradeRecord, RealizedBucket } from "../schema/Records.js"
import * as Calendar from "./Calendar.js"
import { decideEvent } from "./internal/decide.js"
import { netPositionOf, netPositionRecordOf, openTradeOf, openTradeRecordOf } from "./internal/state.js"
import * as KeySet from "./KeySet.js"
import * as PnlStats from "./PnlStats.js"

/** Where positions come from (DESIGN.md §3). */
export type PositionSource = "trades" | "fills"
/** One net position per symbol (`one-way`) or independent LONG and SHORT (`hedge`). */
export type PositionMode = "one-way" | "hedge"

/** How a portfolio accounts. Every field has a default. */
export interface Options {
  /** `trades` (default): positions from `trade.opened`/`trade.closed`; `fills`: from `order.executed`. */
  readonly positionSource?: PositionSource
  /** Fills mode only: `one-way` (default) or `hedge`. */
  readonly positionMode?: PositionMode
  /** IANA time zone of the PnL windows (default `UTC`). */
  readonly timeZone?: string
  /** Symbol → sector overrides (default: `BTC` for BTC pairs, `ETH` for ETH pairs, else `ALT`). */
  readonly sectors?: Readonly<Record<string, string>>
  /** Symbol → category overrides (default {@link Options.defaultCategory}). */
  readonly categories?: Readonly<Record<string, SymbolCategory>>
  /** Category of a symbol with none given (default `CORE`). */
  readonly defaultCategory?: SymbolCategory
  /** How many processed-event keys to remember in memory (default: all). */
  readonly rememberKeys?: number
}

/** {@link Options} with every default filled in. */
export interface ResolvedOptions {
  readonly positionSource: PositionSource
  readonly positionMode: PositionMode
  readonly timeZone: string
  readonly sectors: Readonly<Record<string, string>>
  readonly categories: Readonly<Record<string, SymbolCategory>>
  readonly defaultCategory: SymbolCategory
  readonly rememberKeys: number
}

/**
 * An open trade as the state holds it: its record plus what a snapshot needs and never changes,
 * worked out once — its opening time formatted and its sector — so a snapshot does no lookups
 * by symbol name beyond the price.
 */
export interface OpenTrade extends OpenTradeRecord {
  readonly openedAtIso: string
  readonly sector: string
}

/** A position built from fills as the state holds it, with the same derived fields. */
export interface NetPositionState extends NetPositionRecord {
  readonly openedAtIso: string
  readonly sector: string
  readonly category: SymbolCategory
}

/** The latest price of a symbol and when it was observed. */
export interface Mark {
  readonly price: number
  readonly at: number
}

/** Counters the service reports in health. */
export interface Counters {
  applied: number
  duplicates: number
  ignored: number
  orphanCloses: number
  overCloses: number
}

/** The portfolio state. Mutable; owned by one writer. */
export interface Portfolio {
  readonly options: ResolvedOptions
  readonly calendar: Calendar.Calendar
  /** Open trades by `trade_id` (trades mode). */
  readonly trades: Map<string, OpenTrade>
  /** Positions by `symbol|side` (fills mode). */
  readonly positions: Map<string, NetPositionState>
  readonly marks: Map<string, Mark>
  readonly pnl: PnlStats.PnlStats
  readonly seen: KeySet.KeySet
  readonly counters: Counters
  /** The latest event time applied, epoch ms (0 before any): "now" for a backtest. */
  lastEventAt: number
  /** The last emergency stop, if any. */
  ess: { readonly at: number; readonly reason: string } | undefined
}

/** The records one event changes: what a store writes in one transaction. */
export interface Changes {
  readonly upsertOpenTrades: ReadonlyArray<OpenTradeRecord>
  readonly deleteOpenTrades: ReadonlyArray<string>
  readonly closes: ReadonlyArray<ClosedTradeRecord>
  readonly fills: ReadonlyArray<FillRecord>
  readonly upsertNetPositions: ReadonlyArray<NetPositionRecord>
  readonly deleteNetPositions: ReadonlyArray<{ readonly symbol: string; readonly side: PositionSide }>
}

/** No changes. */
export const noChanges: Changes = {
  upsertOpenTrades: [],
  deleteOpenTrades: [],
  closes: [],
  fills: [],
  upsertNetPositions: [],
  deleteNetPositions: []
}

/** What applying an event does. */
export type Decision =
  | {
      readonly _tag: "Applied"
      readonly event: IncomingEvent
      /** The processed-event id; `undefined` for price ticks, which need none. */
      readonly key: string | undefined
      readonly changes: Changes
      /** The price this event sets, if any. */
      readonly mark: { readonly symbol: string; readonly price: number; readonly at: number } | undefined
      /** A trade lifecycle event (open, close, fill, emergency stop): publish a snapshot. */
      readonly lifecycle: boolean
      readonly orphan: boolean
      readonly overClose: boolean
    }
  | { readonly _tag: "Duplicate"; readonly event: IncomingEvent; readonly key: string }
  | { readonly _tag: "Ignored"; readonly event: IncomingEvent; readonly reason: string }

/** Fills in the defaults of {@link Options}. Throws `InvalidTimeZoneError` for an unknown zone. */
export const resolveOptions = (options: Options = {}): ResolvedOptions => ({
  positionSource: options.positionSource ?? "trades",
  positionMode: options.positionMode ?? "one-way",
  timeZone: options.timeZone ?? "UTC",
  sectors: options.sectors ?? {},
  categories: options.categories ?? {},
  defaultCategory: options.defaultCategory ?? "CORE",
  rememberKeys: options.rememberKeys ?? Number.POSITIVE_INFINITY
})

/** An empty portfolio. */
export const make = (options: Options = {}): Portfolio => {
  const resolved = resolveOptions(options)
  const calendar = Calendar.make(resolved.timeZone)
  return {
    options: resolved,
    calendar,
    trades: new Map(),
    positions: new Map(),
    marks: new Map(),
    pnl: PnlStats.make(calendar),
    seen: KeySet.make(resolved.rememberKeys),
    counters: { applied: 0, duplicates: 0, ignored: 0, orphanCloses: 0, overCloses: 0 },
    lastEventAt: 0,
    ess: undefined
  }
}

/** The key of a fills-mode position. */
export const positionKey = (symbol: string, side: PositionSide): string => `${symbol}|${side}`

/**
 * The processed-event id of an event, or `undefined` for events that need none (price ticks):
 * `trade.opened:<trade_id>`, `trade.closed:<trade_id>:<close_id | order_id | time:qty:price>`,
 * `order.executed:<order_id>:<fill_id>`, `ess.tripped:<time>:<reason>`.
 */
export const eventKey = (event: IncomingEvent): string | undefined => {
  switch (event.type) {
    case "market.tick":
      return undefined
    case "trade.opened":
      return `trade.opened:${event.payload.trade_id}`
    case "trade.closed": {
      const p = event.payload
      const which = p.close_id ?? p.order_id ?? `${event.at}:${p.quantity ?? "all"}:${p.exit_price}`
      return `trade.closed:${p.trade_id}:${which}`
    }
    case "order.executed":
      return `order.executed:${event.payload.order_id}:${event.payload.fill_id ?? ""}`
    case "ess.tripped":
      return `ess.tripped:${event.at}:${event.payload.reason}`
  }
}

/** Decides what `event` does to the state, changing nothing. */
export const decide = (self: Portfolio, event: IncomingEvent): Decision =>
  // Price ticks are most of the traffic and have no key: skip the key's construction.
  decideEvent(self, event, event.type === "market.tick" ? undefined : eventKey(event))

/** Applies a decision made by {@link decide} on this state. */
export const evolve = (self: Portfolio, decision: Decision): void => {
  if (decision.event.at > self.lastEventAt) self.lastEventAt = decision.event.at
  switch (decision._tag) {
    case "Duplicate":
      self.counters.duplicates++
      return
    case "Ignored":
      self.counters.ignored++
      return
    case "Applied":
      break
  }
  self.counters.applied++
  if (decision.orphan) self.counters.orphanCloses++
  if (decision.overClose) self.counters.overCloses++
  if (decision.key !== undefined) KeySet.add(self.seen, decision.key)
  if (decision.mark !== undefined) {
    self.marks.set(decision.mark.symbol, { price: decision.mark.price, at: decision.mark.at })
  }
  if (decision.changes !== noChanges) applyChanges(self, decision.changes)
  if (decision.event.type === "ess.tripped") {
    self.ess = { at: decision.event.at, reason: decision.event.payload.reason }
  }
}

const applyChanges = (self: Portfolio, changes: Changes): void => {
  for (const id of changes.deleteOpenTrades) self.trades.delete(id)
  for (const trade of changes.upsertOpenTrades) {
    const known = self.trades.get(trade.trade_id)
    const openedAtIso = known !== undefined && known.opened_at === trade.opened_at ? known.openedAtIso : formatEventTime(trade.opened_at)
    const sector = known !== undefined && known.symbol === trade.symbol ? known.sector : sectorOf(self, trade.symbol)
    self.trades.set(trade.trade_id, openTradeOf(trade, openedAtIso, sector))
  }
  for (const { side, symbol } of changes.deleteNetPositions) self.positions.delete(positionKey(symbol, side))
  for (const position of changes.upsertNetPositions) {
    const key = positionKey(position.symbol, position.side)
    const known = self.positions.get(key)
    const openedAtIso =
      known !== undefined && known.opened_at === position.opened_at ? known.openedAtIso : formatEventTime(position.opened_at)
    const sector = known !== undefined ? known.sector : sectorOf(self, position.symbol)
    const category = known !== undefined ? known.category : categoryOf(self, position.symbol)
    self.positions.set(key, netPositionOf(position, openedAtIso, sector, category))
  }
  for (const close of changes.closes) {
    PnlStats.record(self.pnl, {
      at: close.closed_at,
      realizedPnl: close.realized_pnl,
      fees: close.fees,
      quantity: close.quantity,
      trade: isTradeClose(close)
    })
  }
}

/**
 * Whether a close record is the close of a trade (what `portfolio.pnl_updated` reports and the
 * win rate counts) rather than a fee charged outside a close. Fee records have quantity 0; so
 * does the close of an unknown trade whose event gave no quantity, which is still a close.
 */
export const isTradeClose = (close: ClosedTradeRecord): boolean => close.quantity > 0 || close.orphan

/** Decides and applies an event; answers the decision. */
export const apply = (self: Portfolio, event: IncomingEvent): Decision => {
  const decision = decide(self, event)
  evolve(self, decision)
  return decision
}

/** What a portfolio is rebuilt from after a restart: the store's records. */
export interface Restore {
  readonly openTrades?: Iterable<OpenTradeRecord>
  readonly netPositions?: Iterable<NetPositionRecord>
  readonly closes?: Iterable<ClosedTradeRecord>
  /** The closes summed per bucket (what a store answers at start), instead of or beside `closes`. */
  readonly realizedBuckets?: Iterable<RealizedBucket>
  readonly marks?: Iterable<{ readonly symbol: string; readonly price: number; readonly at: number }>
  readonly lastEventAt?: number
}

/**
 * Rebuilds a portfolio from stored records: open trades, positions, every close or the closes
 * summed per bucket (for the PnL windows and statistics) and, optionally, last prices. The result equals the state that
 * applying the original events gave, except for remembered keys (the store answers those).
 */
export const restore = (options: Options, records: Restore): Portfolio => {
  const self = make(options)
  let last = records.lastEventAt ?? 0
  const closes: Array<ClosedTradeRecord> = []
  for (const close of records.closes ?? []) {
    closes.push(close)
    if (close.closed_at > last) last = close.closed_at
  }
  applyChanges(self, {
    ...noChanges,
    upsertOpenTrades: [...(records.openTrades ?? [])],
    upsertNetPositions: [...(records.netPositions ?? [])],
    closes
  })
  for (const bucket of records.realizedBuckets ?? []) {
    PnlStats.recordBucket(self.pnl, bucket)
    if (bucket.start > last) last = bucket.start
  }
  for (const mark of records.marks ?? []) {
    const known = self.marks.get(mark.symbol)
    if (known === undefined || known.at <= mark.at) self.marks.set(mark.symbol, { price: mark.price, at: mark.at })
  }
  for (const t of self.trades.values()) if (t.updated_at > last) last = t.updated_at
  for (const p of self.positions.values()) if (p.updated_at > last) last = p.updated_at
  self.lastEventAt = last
  return self
}

/** The records that describe the state's positions: what a store holds as open. */
export const openRecords = (self: Portfolio): { openTrades: Array<OpenTradeRecord>; netPositions: Array<NetPositionRecord> } => ({
  openTrades: [...self.trades.values()].map(openTradeRecordOf),
  netPositions: [...self.positions.values()].map(netPositionRecordOf)
})

/** An independent deep copy of the state. */
export const clone = (self: Portfolio): Portfolio => ({
  options: self.options,
  calendar: self.calendar,
  trades: new Map(self.trades),
  positions: new Map(self.positions),
  marks: new Map(self.marks),
  pnl: PnlStats.clone(self.pnl),
  seen: KeySet.clone(self.seen),
  counters: { ...self.counters },
  lastEventAt: self.lastEventAt,
  ess: self.ess
})

/** The sector of a symbol: the configured one, else `BTC`/`ETH` for their pairs, else `ALT`. */
export const sectorOf = (self: Portfolio, symbol: string): string =>
  self.options.sectors[symbol] ?? (symbol.startsWith("BTC") ? "BTC" : symbol.startsWith("ETH") ? "ETH" : "ALT")

/** The category of a symbol: the configured one, else the default. */
export const categoryOf = (self: Portfolio, symbol: string): SymbolCategory =>
  self.options.categories[symbol] ?? self.options.defaultCategory
