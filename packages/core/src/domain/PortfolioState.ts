/**
 * The portfolio state's shape — what a portfolio holds, what an event decides, the records a
 * decision changes — and the small rules every part of the domain shares (position keys,
 * event keys, sectors, what counts as a trade close). The transitions live in `Portfolio`,
 * which re-exports all of this; this module exists so that the decision rules and the state's
 * record builders can depend on the state's shape without depending on `Portfolio` (no cycle).
 *
 * @since 0.2.0
 */
import type { IncomingEvent, IncomingEventOf } from "../schema/EventsIn.js"
import type { PositionSide, SymbolCategory } from "../schema/Primitives.js"
import type { ClosedTradeRecord, FillRecord, NetPositionRecord, OpenTradeRecord, ParkedCloseRecord } from "../schema/Records.js"
import * as Calendar from "./Calendar.js"
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
  /** Category of a symbol with none given (default `EXPANSION`, as the original service). */
  readonly defaultCategory?: SymbolCategory
  /** How many processed-event keys to remember in memory (default: all). */
  readonly rememberKeys?: number
  /**
   * How long a close whose trade is not open yet stays parked before it applies as an orphan
   * close, ms (default 5 minutes; DESIGN.md §3). Measured on the clock the caller passes to
   * `Portfolio.expireParked`: the service's clock live, event time in a backtest.
   */
  readonly orphanGraceMs?: number
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
  readonly orphanGraceMs: number
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
  /** Closes applied with no trade to close: parked past the grace, never opened. */
  orphanCloses: number
  overCloses: number
  /** Closes parked because their trade was not open yet (each counted once). */
  parkedCloses: number
}

/** A close waiting for its trade's open (DESIGN.md §3): see `ParkedCloseRecord`. */
export interface ParkedClose {
  readonly key: string
  /** The trade it waits for (a parked close always names its trade). */
  readonly tradeId: string
  readonly event: IncomingEventOf<"trade.closed">
  /** When it was parked, on the caller's clock (epoch ms): the grace runs from here. */
  readonly parkedAt: number
}

/** The portfolio state. Mutable; owned by one writer. */
export interface Portfolio {
  readonly options: ResolvedOptions
  readonly calendar: Calendar.Calendar
  /** Open trades by `trade_id` (trades mode). */
  readonly trades: Map<string, OpenTrade>
  /** Positions by {@link positionKey} (fills mode). */
  readonly positions: Map<string, NetPositionState>
  readonly marks: Map<string, Mark>
  readonly pnl: PnlStats.PnlStats
  readonly seen: KeySet.KeySet
  /**
   * Fees charged in another asset than the quote (e.g. BNB) while no mark of `<asset><quote>` was
   * known: kept unconverted per asset, out of cash and PnL, listed in health. In memory only.
   */
  readonly unconvertedFees: Map<string, number>
  /** Parked closes by `trade_id`, each list in arrival order. */
  readonly parked: Map<string, Array<ParkedClose>>
  readonly counters: Counters
  /** The latest event time applied, epoch ms (0 before any): "now" for a backtest. */
  lastEventAt: number
  /**
   * Grows by one with every change the state takes (an applied event, a price, a parked close):
   * equal versions of one state mean equal positions, prices and PnL — a cache key for what is
   * derived from them (an encoded snapshot, say), together with the clock and the cash.
   */
  version: number
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
  /** Closes to keep until their trade opens (DESIGN.md §3). */
  readonly parkCloses: ReadonlyArray<ParkedCloseRecord>
  /** Parked closes (by `event_key`) that are applied now and leave the parking. */
  readonly releaseParked: ReadonlyArray<string>
}

/** No changes. */
export const noChanges: Changes = {
  upsertOpenTrades: [],
  deleteOpenTrades: [],
  closes: [],
  fills: [],
  upsertNetPositions: [],
  deleteNetPositions: [],
  parkCloses: [],
  releaseParked: []
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
      /** A fee in another asset with no mark to convert it at: kept apart, out of cash (DESIGN.md §3). */
      readonly unconvertedFee?: { readonly asset: string; readonly amount: number } | undefined
    }
  | {
      /** A close whose trade is not open (yet): `changes.parkCloses` holds it; nothing else changes. */
      readonly _tag: "Parked"
      readonly event: IncomingEventOf<"trade.closed">
      readonly key: string
      readonly changes: Changes
    }
  | { readonly _tag: "Duplicate"; readonly event: IncomingEvent; readonly key: string }
  | {
      /**
       * Valid by its schema but not under this portfolio's settings (a hedge-mode fill without
       * `position_side`): rejected with the field at fault, as an invalid event is — never
       * silently ignored. Nothing changes.
       */
      readonly _tag: "Rejected"
      readonly event: IncomingEvent
      readonly path: string
      readonly reason: string
    }
  | { readonly _tag: "Ignored"; readonly event: IncomingEvent; readonly reason: string }

/** Fills in the defaults of {@link Options}. Throws `InvalidTimeZoneError` for an unknown zone. */
export const resolveOptions = (options: Options = {}): ResolvedOptions => ({
  positionSource: options.positionSource ?? "trades",
  positionMode: options.positionMode ?? "one-way",
  timeZone: options.timeZone ?? "UTC",
  sectors: options.sectors ?? {},
  categories: options.categories ?? {},
  defaultCategory: options.defaultCategory ?? "EXPANSION",
  rememberKeys: options.rememberKeys ?? Number.POSITIVE_INFINITY,
  orphanGraceMs: options.orphanGraceMs ?? 5 * 60_000
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
    parked: new Map(),
    unconvertedFees: new Map(),
    counters: { applied: 0, duplicates: 0, ignored: 0, orphanCloses: 0, overCloses: 0, parkedCloses: 0 },
    lastEventAt: 0,
    version: 0,
    ess: undefined
  }
}

/** Quote assets a symbol's name ends with, longest first. */
const QUOTES = ["FDUSD", "USDT", "USDC", "BUSD"] as const

/**
 * A fee in the symbol's quote asset (DESIGN.md §3): as given when its asset is the quote (or not
 * named); converted at the last mark of `<asset><quote>` (`BNBUSDT` for a BNB fee on
 * `BTCUSDT`) otherwise; `undefined` when no such mark is known — never added as if it were the
 * quote.
 */
export const feeInQuote = (self: Portfolio, symbol: string, fee: number, asset: string | null | undefined): number | undefined => {
  if (fee === 0 || asset === undefined || asset === null || asset === "") return fee
  const quote = QUOTES.find((q) => symbol.endsWith(q))
  if (quote === undefined || asset.toUpperCase() === quote) return fee
  const mark = self.marks.get(`${asset.toUpperCase()}${quote}`)
  return mark === undefined ? undefined : fee * mark.price
}

/** The processed-event id of a trade's open: known when the trade was opened, even if closed since. */
export const openedKey = (tradeId: string): string => `trade.opened:${tradeId}`

/**
 * The id of a fills-mode position, `<symbol>:<side>` (`BTCUSDT:LONG`): its key in the state,
 * its `trade_id` in the snapshot and in its close records. One format everywhere.
 */
export const positionKey = (symbol: string, side: PositionSide): string => `${symbol}:${side}`

/**
 * The part of a key that places an event in time: its own time when it has one, nothing when
 * its time is the time of arrival — a key never contains that (DESIGN.md §3).
 */
const ownTime = (event: IncomingEvent): string => (event.timed === false ? "" : `${event.at}:`)

/**
 * The processed-event id of an event, or `undefined` for events that need none (price ticks):
 * `trade.opened:<trade_id>`, `trade.closed:<trade_id>:<close_id | order_id | time:qty:price>`,
 * `order.executed:<order_id>:<fill_id>`, `ess.tripped:<time>:<reason>`.
 */
export const eventKey = (event: IncomingEvent): string | undefined => {
  if (event.type === "market.tick") return undefined
  // The caller's idempotency key (HTTP `Idempotency-Key`), when sent, is the key.
  if (event.idempotencyKey !== undefined) return `${event.type}:key:${event.idempotencyKey}`
  switch (event.type) {
    case "trade.opened":
      return openedKey(event.payload.trade_id)
    case "trade.closed": {
      const p = event.payload
      // An empty id (a flat entry's "") names nothing.
      const which = p.close_id || p.order_id || `${ownTime(event)}${p.quantity ?? "all"}:${p.exit_price}`
      return p.trade_id !== undefined ? `trade.closed:${p.trade_id}:${which}` : `trade.closed:${p.symbol}:${p.side}:${which}`
    }
    case "order.executed":
      return `order.executed:${event.payload.order_id}:${event.payload.fill_id ?? ""}`
    case "ess.tripped":
      return `ess.tripped:${ownTime(event)}${event.payload.reason}`
  }
}

/**
 * Whether a close record is the close of a trade (what `portfolio.pnl_updated` reports and the
 * win rate counts) rather than a fee charged outside a close. Fee records have quantity 0; so
 * does the close of an unknown trade whose event gave no quantity, which is still a close.
 */
export const isTradeClose = (close: ClosedTradeRecord): boolean => close.quantity > 0 || close.orphan

/** Whether a close ends a round trip (the statistics count round trips, DESIGN.md §3). */
export const endsRoundTrip = (close: ClosedTradeRecord): boolean => close.round_trip_pnl !== null

/**
 * A round trip's PnL, snapped to exactly 0 when it is within dust (1e-9 × its entry notional)
 * of 0: a break-even, never a win or loss of rounding noise (DESIGN.md §3, "Dust").
 */
export const roundTripPnl = (pnl: number, entryNotional: number): number =>
  Math.abs(pnl) <= 1e-9 * Math.abs(entryNotional) ? 0 : pnl

/** The sector of a symbol: the configured one, else `BTC`/`ETH` for their pairs, else `ALT`. */
export const sectorOf = (self: Portfolio, symbol: string): string =>
  self.options.sectors[symbol] ?? (symbol.startsWith("BTC") ? "BTC" : symbol.startsWith("ETH") ? "ETH" : "ALT")

/** The category of a symbol: the configured one, else the default. */
export const categoryOf = (self: Portfolio, symbol: string): SymbolCategory =>
  self.options.categories[symbol] ?? self.options.defaultCategory
