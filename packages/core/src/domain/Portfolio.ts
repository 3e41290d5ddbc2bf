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
 * {@link apply} does both; {@link step} does both for an event and whatever it releases (the
 * closes that were parked waiting for a trade it opens), and {@link expireParked} applies the
 * parked closes whose grace has passed as orphan closes.
 *
 * @example
 * const p = Portfolio.make({ timeZone: "Europe/Oslo" })
 * Portfolio.apply(p, event) // → Decision
 *
 * @since 0.1.0
 */
import type { IncomingEvent, IncomingEventOf } from "../schema/EventsIn.js"
import { formatEventTime } from "../schema/Primitives.js"
import type { ClosedTradeRecord, NetPositionRecord, OpenTradeRecord, ParkedCloseRecord, RealizedBucket } from "../schema/Records.js"
import { decideEvent, decideOrphanClose, decideTradeClose } from "./internal/decide.js"
import { netPositionOf, netPositionRecordOf, openTradeOf, openTradeRecordOf } from "./internal/state.js"
import * as KeySet from "./KeySet.js"
import * as PnlStats from "./PnlStats.js"
import {
  type Changes,
  type Decision,
  type Options,
  type ParkedClose,
  type Portfolio,
  categoryOf,
  eventKey,
  make,
  noChanges,
  positionKey,
  sectorOf
} from "./PortfolioState.js"

export * from "./PortfolioState.js"

/**
 * Decides what `event` does to the state, changing nothing. `now` is the caller's clock (epoch
 * ms; default the event's time): a close parked now waits `orphanGraceMs` from it.
 */
export const decide = (self: Portfolio, event: IncomingEvent, now: number = event.at): Decision =>
  // Price ticks are most of the traffic and have no key: skip the key's construction.
  decideEvent(self, event, event.type === "market.tick" ? undefined : eventKey(event), now)

/** Applies a decision made by {@link decide} on this state. */
export const evolve = (self: Portfolio, decision: Decision): void => {
  if (decision.event.at > self.lastEventAt) self.lastEventAt = decision.event.at
  if (decision._tag === "Applied" || decision._tag === "Parked") self.version++
  switch (decision._tag) {
    case "Duplicate":
      self.counters.duplicates++
      return
    case "Ignored":
      self.counters.ignored++
      return
    case "Rejected":
      return
    case "Parked": {
      self.counters.parkedCloses++
      KeySet.add(self.seen, decision.key)
      applyChanges(self, decision.changes)
      return
    }
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
  if (decision.unconvertedFee !== undefined) {
    const { amount, asset } = decision.unconvertedFee
    self.unconvertedFees.set(asset, (self.unconvertedFees.get(asset) ?? 0) + amount)
  }
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
  for (const key of changes.releaseParked) unpark(self, key)
  for (const record of changes.parkCloses) park(self, parkedOf(record))
  for (const close of changes.closes) {
    PnlStats.record(self.pnl, { at: close.closed_at, realizedPnl: close.realized_pnl, fees: close.fees, roundTripPnl: close.round_trip_pnl })
  }
}

const park = (self: Portfolio, parked: ParkedClose): void => {
  const tradeId = parked.tradeId
  const waiting = self.parked.get(tradeId)
  if (waiting === undefined) self.parked.set(tradeId, [parked])
  else if (!waiting.some((p) => p.key === parked.key)) waiting.push(parked)
}

const unpark = (self: Portfolio, key: string): void => {
  for (const [tradeId, waiting] of self.parked) {
    const i = waiting.findIndex((p) => p.key === key)
    if (i < 0) continue
    waiting.splice(i, 1)
    if (waiting.length === 0) self.parked.delete(tradeId)
    return
  }
}

/** The stored form of a parked close. */
export const parkedRecordOf = (parked: ParkedClose): ParkedCloseRecord => ({
  event_key: parked.key,
  trade_id: parked.tradeId,
  event: JSON.stringify(parked.event),
  parked_at: parked.parkedAt
})

/** A parked close from its stored form. */
export const parkedOf = (record: ParkedCloseRecord): ParkedClose => ({
  key: record.event_key,
  tradeId: record.trade_id,
  event: JSON.parse(record.event) as IncomingEventOf<"trade.closed">,
  parkedAt: record.parked_at
})

/** Decides and applies an event; answers the decision. */
export const apply = (self: Portfolio, event: IncomingEvent, now: number = event.at): Decision => {
  const decision = decide(self, event, now)
  evolve(self, decision)
  return decision
}

/**
 * Decides and applies an event, then the closes it releases: when it opens a trade that has
 * parked closes, they apply right after it, in the order they arrived. Answers every decision
 * in order (the event's first). A released close's decision has no key (its key was stored
 * when it was parked) and lists it in `changes.releaseParked`.
 */
export const step = (self: Portfolio, event: IncomingEvent, now: number = event.at): Array<Decision> => {
  const first = apply(self, event, now)
  if (first._tag !== "Applied" || event.type !== "trade.opened") return [first]
  // (only a close naming its trade is ever parked)
  const waiting = self.parked.get(event.payload.trade_id)
  if (waiting === undefined) return [first]
  const decisions: Array<Decision> = [first]
  for (const parked of [...waiting]) {
    const decision = decideTradeClose(self, parked.event, parked.key)
    evolve(self, decision)
    decisions.push(decision)
  }
  return decisions
}

/** How many closes are parked. */
export const parkedCount = (self: Portfolio): number => {
  let n = 0
  for (const waiting of self.parked.values()) n += waiting.length
  return n
}

/** When the oldest parked close's grace ends (epoch ms, on the clock it was parked by); `undefined` when none is parked. */
export const nextParkedDue = (self: Portfolio): number | undefined => {
  let first: number | undefined
  for (const waiting of self.parked.values()) {
    for (const parked of waiting) if (first === undefined || parked.parkedAt < first) first = parked.parkedAt
  }
  return first === undefined ? undefined : first + self.options.orphanGraceMs
}

/**
 * Applies every parked close whose grace (`orphanGraceMs`) has passed at `now` as an orphan
 * close (its PnL counts; it is counted among the orphans); answers their decisions, oldest
 * first. `now` is the clock {@link decide} was given.
 */
export const expireParked = (self: Portfolio, now: number): Array<Decision> => {
  const due: Array<ParkedClose> = []
  for (const waiting of self.parked.values()) {
    for (const parked of waiting) if (now - parked.parkedAt >= self.options.orphanGraceMs) due.push(parked)
  }
  due.sort((a, b) => a.parkedAt - b.parkedAt || a.event.at - b.event.at)
  return due.map((parked) => {
    const decision = decideOrphanClose(self, parked.event, parked.key)
    evolve(self, decision)
    return decision
  })
}

/** What a portfolio is rebuilt from after a restart: the store's records. */
export interface Restore {
  readonly openTrades?: Iterable<OpenTradeRecord>
  readonly netPositions?: Iterable<NetPositionRecord>
  readonly closes?: Iterable<ClosedTradeRecord>
  /** The closes summed per bucket (what a store answers at start), instead of or beside `closes`. */
  readonly realizedBuckets?: Iterable<RealizedBucket>
  readonly marks?: Iterable<{ readonly symbol: string; readonly price: number; readonly at: number }>
  /** Closes parked waiting for their trade's open. */
  readonly parked?: Iterable<ParkedCloseRecord>
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
    closes,
    parkCloses: [...(records.parked ?? [])]
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

/** The symbols of every open position (trades and fills-mode positions). */
export const openSymbols = (self: Portfolio): Set<string> => {
  const symbols = new Set<string>()
  for (const t of self.trades.values()) symbols.add(t.symbol)
  for (const p of self.positions.values()) symbols.add(p.symbol)
  return symbols
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
  parked: new Map([...self.parked].map(([id, waiting]) => [id, [...waiting]])),
  unconvertedFees: new Map(self.unconvertedFees),
  counters: { ...self.counters },
  lastEventAt: self.lastEventAt,
  version: self.version,
  ess: self.ess
})
