/**
 * The decision rules of each event type (DESIGN.md §3). Internal: use `Portfolio.decide`.
 */
import type { IncomingEvent, IncomingEventOf } from "../../schema/EventsIn.js"
import type { PositionSide } from "../../schema/Primitives.js"
import type { ClosedTradeRecord, FillRecord, NetPositionRecord, OpenTradeRecord } from "../../schema/Records.js"
import * as KeySet from "../KeySet.js"
import type { Changes, Decision, Portfolio } from "../PortfolioState.js"
import { categoryOf, feeInQuote, noChanges, openedKey, positionKey, roundTripPnl } from "../PortfolioState.js"
import * as Position from "../Position.js"

type Applied = Extract<Decision, { _tag: "Applied" }>

const ignored = (event: IncomingEvent, reason: string): Decision => ({ _tag: "Ignored", event, reason })

const applied = (
  event: IncomingEvent,
  key: string | undefined,
  fields: Partial<Omit<Applied, "_tag" | "event" | "key">>
): Decision => ({
  _tag: "Applied",
  event,
  key,
  changes: fields.changes ?? noChanges,
  mark: fields.mark,
  lifecycle: fields.lifecycle ?? false,
  orphan: fields.orphan ?? false,
  overClose: fields.overClose ?? false,
  unconvertedFee: fields.unconvertedFee
})

/** A price is taken unless the symbol already has a newer one. */
const markOf = (self: Portfolio, symbol: string, price: number, at: number) => {
  const known = self.marks.get(symbol)
  return known !== undefined && known.at > at ? undefined : { symbol, price, at }
}

/** A fee charged outside a close: a realization of quantity 0. */
const feeRecord = (
  closeId: string,
  tradeId: string,
  symbol: string,
  side: PositionSide,
  price: number,
  fee: number,
  at: number,
  remaining: number
): ClosedTradeRecord => ({
  close_id: closeId,
  trade_id: tradeId,
  symbol,
  side,
  entry_price: price,
  exit_price: price,
  quantity: 0,
  realized_pnl: -fee,
  fees: fee,
  opened_at: at,
  closed_at: at,
  remaining_size: remaining,
  orphan: false,
  over_close: false,
  round_trip_pnl: null
})

const tradeOpened = (self: Portfolio, event: IncomingEventOf<"trade.opened">, key: string): Decision => {
  const p = event.payload
  if (self.trades.has(p.trade_id)) return { _tag: "Duplicate", event, key }
  const fees = p.fees ?? 0
  const trade: OpenTradeRecord = {
    trade_id: p.trade_id,
    symbol: p.symbol,
    side: p.side,
    entry_price: p.entry_price,
    size: p.quantity,
    original_size: p.quantity,
    leverage: p.leverage,
    category: p.category ?? categoryOf(self, p.symbol),
    opened_at: event.at,
    realized_pnl: 0 - fees, // not −fees: no fee must give 0, not −0 (stores and equality tell them apart)
    fees,
    updated_at: event.at
  }
  const closes = fees > 0 ? [feeRecord(`${key}:fee`, p.trade_id, p.symbol, p.side, p.entry_price, fees, event.at, p.quantity)] : []
  return applied(event, key, {
    changes: { ...noChanges, upsertOpenTrades: [trade], closes },
    lifecycle: true
  })
}

/**
 * A close of a trade that is not open: a duplicate when the trade was opened before (it is
 * closed already: a full close of a closed trade is the same close again), else parked until
 * its open arrives (DESIGN.md §3).
 */
const parkOrDuplicate = (self: Portfolio, event: IncomingEventOf<"trade.closed">, tradeId: string, key: string, now: number): Decision => {
  if (KeySet.has(self.seen, openedKey(tradeId))) return { _tag: "Duplicate", event, key }
  return {
    _tag: "Parked",
    event,
    key,
    changes: {
      ...noChanges,
      parkCloses: [{ event_key: key, trade_id: tradeId, event: JSON.stringify(event), parked_at: now }]
    }
  }
}

/**
 * A parked close whose trade never opened within the grace: kept in the closed-trade history
 * (its PnL counts: `realized_pnl` when given, else computed when entry price and quantity are
 * known; less the event's fees) and counted as an orphan. Its key was stored when it was parked.
 */
export const decideOrphanClose = (_self: Portfolio, event: IncomingEventOf<"trade.closed">, key: string): Decision =>
  applied(event, undefined, {
    changes: { ...noChanges, closes: [orphanCloseRecord(event, key)], releaseParked: [key] },
    lifecycle: true,
    orphan: true
  })

/** The record of a close with no open trade to close: a round trip of its own. */
const orphanCloseRecord = (event: IncomingEventOf<"trade.closed">, key: string): ClosedTradeRecord => {
  const p = event.payload
  const fees = p.fees ?? 0
  const side = p.side ?? "LONG"
  // `realized_pnl` / `pnl_usd` (the exchange's figure) are before the event's fees, as is the computed one.
  const gross = p.realized_pnl ?? p.pnl_usd ?? (p.entry_price !== undefined && p.quantity !== undefined
    ? Position.realizedOnClose(side, p.entry_price, p.exit_price, p.quantity)
    : 0)
  const net = gross - fees
  return {
    close_id: key,
    trade_id: p.trade_id ?? `${p.symbol}:${side}`,
    symbol: p.symbol ?? "UNKNOWN",
    side,
    entry_price: p.entry_price ?? null,
    exit_price: p.exit_price,
    quantity: p.quantity ?? 0,
    realized_pnl: net,
    fees,
    opened_at: null,
    closed_at: event.at,
    remaining_size: 0,
    orphan: true,
    over_close: false,
    round_trip_pnl: roundTripPnl(net, (p.entry_price ?? 0) * (p.quantity ?? 0))
  }
}

/**
 * The production `trade.closed` (the Python executor's, DESIGN.md §3): no `trade_id`, no
 * `quantity` — "the position on (symbol, side) is now flat". Every open trade of that symbol
 * and side closes at `exit_price`, oldest first; `pnl_usd` (or `realized_pnl`), when given, is
 * the authoritative total before fees, split across the trades in proportion to their sizes,
 * and so are the event's fees. With nothing open on (symbol, side) it is kept as an orphan
 * close (its PnL counts) — the merge across streams has already put every earlier open first.
 */
const positionClosed = (self: Portfolio, event: IncomingEventOf<"trade.closed">, symbol: string, side: PositionSide, key: string): Decision => {
  const p = event.payload
  const trades = [...self.trades.values()].filter((t) => t.symbol === symbol && t.side === side)
  if (trades.length === 0) return applied(event, key, { changes: { ...noChanges, closes: [orphanCloseRecord(event, key)] }, lifecycle: true, orphan: true })
  const total = trades.reduce((sum, t) => sum + t.size, 0)
  const given = p.pnl_usd ?? p.realized_pnl
  const fees = p.fees ?? 0
  const closes: Array<ClosedTradeRecord> = trades.map((t) => {
    const share = total > 0 ? t.size / total : 1 / trades.length
    const gross = given !== undefined ? given * share : Position.realizedOnClose(t.side, t.entry_price, p.exit_price, t.size)
    const realized = gross - fees * share
    return {
      close_id: `${key}:${t.trade_id}`,
      trade_id: t.trade_id,
      symbol: t.symbol,
      side: t.side,
      entry_price: t.entry_price,
      exit_price: p.exit_price,
      quantity: t.size,
      realized_pnl: realized,
      fees: fees * share,
      opened_at: t.opened_at,
      closed_at: event.at,
      remaining_size: 0,
      orphan: false,
      over_close: false,
      round_trip_pnl: roundTripPnl(t.realized_pnl + realized, t.entry_price * t.original_size)
    }
  })
  return applied(event, key, {
    changes: { ...noChanges, deleteOpenTrades: trades.map((t) => t.trade_id), closes },
    lifecycle: true
  })
}

/** A parked close released by its trade's open: applied as a close now, its key stored before. */
export const decideTradeClose = (self: Portfolio, event: IncomingEventOf<"trade.closed">, key: string): Decision => {
  const tradeId = event.payload.trade_id
  const decision = tradeId !== undefined && self.trades.has(tradeId) ? tradeClosed(self, event, key, event.at) : decideOrphanClose(self, event, key)
  if (decision._tag !== "Applied" || decision.key === undefined) return decision
  return { ...decision, key: undefined, changes: { ...decision.changes, releaseParked: [key] } }
}

const tradeClosed = (self: Portfolio, event: IncomingEventOf<"trade.closed">, key: string, now: number): Decision => {
  const p = event.payload
  if (p.trade_id === undefined) return positionClosed(self, event, p.symbol!, p.side!, key) // the schema requires both then
  const fees = p.fees ?? 0
  const trade = self.trades.get(p.trade_id)
  if (trade === undefined) return parkOrDuplicate(self, event, p.trade_id, key, now)
  const requested = p.quantity ?? trade.size
  const closedQuantity = Math.min(requested, trade.size)
  const overClose = requested > trade.size * (1 + Position.DUST)
  // `realized_pnl`, when given, is the authoritative figure for this close, before the fees the
  // same event carries (the exchanges' convention: Binance's realizedPnl excludes commission).
  const realized = (p.realized_pnl ?? Position.realizedOnClose(trade.side, trade.entry_price, p.exit_price, closedQuantity)) - fees
  const remaining = trade.size - closedQuantity
  const flat = remaining <= trade.original_size * Position.DUST
  const close: ClosedTradeRecord = {
    close_id: key,
    trade_id: trade.trade_id,
    symbol: trade.symbol,
    side: trade.side,
    entry_price: trade.entry_price,
    exit_price: p.exit_price,
    quantity: closedQuantity,
    realized_pnl: realized,
    fees,
    opened_at: trade.opened_at,
    closed_at: event.at,
    remaining_size: flat ? 0 : remaining,
    orphan: false,
    over_close: overClose,
    // The trade's realized PnL so far already carries its opening fees and earlier partial closes.
    round_trip_pnl: flat ? roundTripPnl(trade.realized_pnl + realized, trade.entry_price * trade.original_size) : null
  }
  const changes: Changes = flat
    ? { ...noChanges, deleteOpenTrades: [trade.trade_id], closes: [close] }
    : {
        ...noChanges,
        upsertOpenTrades: [
          {
            trade_id: trade.trade_id,
            symbol: trade.symbol,
            side: trade.side,
            entry_price: trade.entry_price,
            size: remaining,
            original_size: trade.original_size,
            leverage: trade.leverage,
            category: trade.category,
            opened_at: trade.opened_at,
            realized_pnl: trade.realized_pnl + realized,
            fees: trade.fees + fees,
            updated_at: event.at
          }
        ],
        closes: [close]
      }
  return applied(event, key, { changes, lifecycle: true, overClose })
}

const fillKey = (p: IncomingEventOf<"order.executed">["payload"]) =>
  p.fill_id === undefined ? p.order_id : `${p.order_id}:${p.fill_id}`

const orderExecuted = (self: Portfolio, event: IncomingEventOf<"order.executed">, key: string): Decision => {
  const p = event.payload
  const converted = feeInQuote(self, p.symbol, p.fee ?? 0, p.fee_asset)
  const unconvertedFee = converted === undefined ? { asset: p.fee_asset!.toUpperCase(), amount: p.fee ?? 0 } : undefined
  const fee = converted ?? 0
  const direction: PositionSide = p.side === "BUY" ? "LONG" : "SHORT"
  const mark = markOf(self, p.symbol, p.price, event.at)
  const hedge = self.options.positionMode === "hedge"
  const baseFill = {
    fill_key: fillKey(p),
    order_id: p.order_id,
    fill_id: p.fill_id === undefined ? null : String(p.fill_id),
    symbol: p.symbol,
    side: p.side,
    quantity: p.quantity,
    price: p.price,
    fee,
    executed_at: event.at
  }
  if (self.options.positionSource === "trades") {
    const positionSide: PositionSide = p.position_side === "LONG" || p.position_side === "SHORT" ? p.position_side : direction
    const fill: FillRecord = { ...baseFill, position_side: positionSide, realized_pnl: 0 }
    return applied(event, key, { changes: { ...noChanges, fills: [fill] }, mark, lifecycle: true, unconvertedFee })
  }
  let hedgeSide: PositionSide | undefined
  let position: NetPositionRecord | undefined
  if (hedge) {
    if (p.position_side !== "LONG" && p.position_side !== "SHORT") {
      return {
        _tag: "Rejected",
        event,
        path: "payload.position_side",
        reason: "hedge mode (PORTFOLIO_POSITION_MODE=hedge) needs position_side LONG or SHORT on every fill"
      }
    }
    hedgeSide = p.position_side
    position = self.positions.get(positionKey(p.symbol, hedgeSide))
  } else {
    position = self.positions.get(positionKey(p.symbol, "LONG")) ?? self.positions.get(positionKey(p.symbol, "SHORT"))
  }
  const before = position === undefined ? undefined : { side: position.side, size: position.size, entryPrice: position.entry_price }
  const outcome = Position.applyFill(before, { direction, quantity: p.quantity, price: p.price }, hedgeSide)
  const after = outcome.position
  // A flip's fee is split between its closing and its opening part in proportion to their
  // quantities (DESIGN.md §3, as NautilusTrader does); otherwise the whole fee is the fill's.
  const closeFee = outcome.flipped ? (fee * outcome.closedQuantity) / p.quantity : fee
  const openFee = fee - closeFee
  const realized = outcome.realizedPnl - closeFee
  const sameSide = after !== undefined && position !== undefined && after.side === position.side
  const upsert: Array<NetPositionRecord> = []
  const remove: Array<{ symbol: string; side: PositionSide }> = []
  if (position !== undefined && !sameSide) remove.push({ symbol: p.symbol, side: position.side })
  if (after !== undefined) {
    upsert.push({
      symbol: p.symbol,
      side: after.side,
      size: after.size,
      entry_price: after.entryPrice,
      leverage: p.leverage ?? position?.leverage ?? 1,
      opened_at: sameSide ? position!.opened_at : event.at,
      // The position's realized PnL so far: its opening fees and partial closes (a new one
      // after a flip starts with the opening part's fee).
      realized_pnl: sameSide ? position!.realized_pnl + realized : 0 - (outcome.flipped ? openFee : fee),
      fees: sameSide ? position!.fees + fee : outcome.flipped ? openFee : fee,
      updated_at: event.at
    })
  }
  const closedSide = position?.side ?? hedgeSide ?? direction
  const closes: Array<ClosedTradeRecord> = []
  if (outcome.closedQuantity > 0) {
    const ended = !sameSide // flat, or flipped to the other side
    closes.push({
      close_id: `${key}:close`,
      trade_id: positionKey(p.symbol, closedSide),
      symbol: p.symbol,
      side: closedSide,
      entry_price: position!.entry_price,
      exit_price: p.price,
      quantity: outcome.closedQuantity,
      realized_pnl: realized,
      fees: closeFee,
      opened_at: position!.opened_at,
      closed_at: event.at,
      remaining_size: after !== undefined && sameSide ? after.size : 0,
      orphan: false,
      over_close: outcome.excessQuantity > 0,
      round_trip_pnl: ended ? roundTripPnl(position!.realized_pnl + realized, position!.entry_price * position!.size) : null
    })
    if (outcome.flipped && openFee > 0) {
      closes.push(feeRecord(`${key}:fee`, positionKey(p.symbol, after!.side), p.symbol, after!.side, p.price, openFee, event.at, after!.size))
    }
  } else if (fee > 0) {
    closes.push(feeRecord(`${key}:fee`, positionKey(p.symbol, after?.side ?? closedSide), p.symbol, after?.side ?? closedSide, p.price, fee, event.at, after?.size ?? 0))
  }
  const positionSide = after?.side ?? closedSide
  const fill: FillRecord = { ...baseFill, position_side: positionSide, realized_pnl: outcome.realizedPnl - fee }
  return applied(event, key, {
    changes: { ...noChanges, fills: [fill], closes, upsertNetPositions: upsert, deleteNetPositions: remove },
    mark,
    lifecycle: true,
    overClose: outcome.excessQuantity > 0,
    unconvertedFee
  })
}

/** The decision for one event; `key` is its processed-event id (see `Portfolio.eventKey`). */
export const decideEvent = (self: Portfolio, event: IncomingEvent, key: string | undefined, now: number): Decision => {
  if (event.type === "market.tick") {
    const price = event.payload.mark_price ?? event.payload.price
    const mark = markOf(self, event.payload.symbol, price, event.at)
    if (mark === undefined) return ignored(event, `older than the last price of ${event.payload.symbol}`)
    // The hot path (most events are ticks): the decision written out, no intermediate objects.
    return { _tag: "Applied", event, key: undefined, changes: noChanges, mark, lifecycle: false, orphan: false, overClose: false }
  }
  if (key === undefined) return ignored(event, "no event key")
  if (KeySet.has(self.seen, key)) return { _tag: "Duplicate", event, key }
  switch (event.type) {
    case "trade.opened":
      return self.options.positionSource === "trades"
        ? tradeOpened(self, event, key)
        : ignored(event, "positions come from fills (PORTFOLIO_POSITION_SOURCE=fills): trade events are not applied")
    case "trade.closed":
      return self.options.positionSource === "trades"
        ? tradeClosed(self, event, key, now)
        : ignored(event, "positions come from fills (PORTFOLIO_POSITION_SOURCE=fills): trade events are not applied")
    case "order.executed":
      return orderExecuted(self, event, key)
    case "ess.tripped":
      return applied(event, key, { lifecycle: true })
  }
}
