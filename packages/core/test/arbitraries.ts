/**
 * Test fixtures of the accounting core: builders of pre-decoded incoming events, and fast-check 4
 * arbitraries of random event sequences over a few symbols — opens, partial and full closes
 * (some of unknown trades), ticks, fills (some split by fill_id) and emergency stops.
 */
import fc from "fast-check"
import type { IncomingEvent, IncomingEventOf } from "../src/schema/EventsIn.js"
import { parseEventTime } from "../src/schema/Primitives.js"

/** Epoch ms of an ISO time (zone-less means UTC, as Python writes it). */
export const ms = (iso: string): number => {
  const t = parseEventTime(iso)
  if (t === undefined) throw new Error(`not a time: ${iso}`)
  return t
}

/** A time as Python's `datetime.utcnow().isoformat()` writes it: microseconds, no zone. */
export const pythonTime = (at: number): string => new Date(at).toISOString().replace("Z", "000")

const base = { traceId: "", source: "test" } as const

/** A pre-decoded `trade.opened`. */
export const opened = (
  at: number,
  p: { trade_id: string; symbol: string; side: "LONG" | "SHORT"; entry_price: number; quantity: number; leverage?: number; fees?: number }
): IncomingEventOf<"trade.opened"> => {
  const { leverage = 1, fees, ...rest } = p
  return { ...base, type: "trade.opened", at, payload: { ...rest, leverage, ...(fees === undefined ? {} : { fees }) } }
}

/** A pre-decoded `trade.closed`. */
export const closed = (
  at: number,
  p: {
    trade_id?: string
    exit_price: number
    quantity?: number
    realized_pnl?: number
    pnl_usd?: number
    fees?: number
    close_id?: string
    order_id?: string
    symbol?: string
    side?: "LONG" | "SHORT"
    entry_price?: number
  }
): IncomingEventOf<"trade.closed"> => ({ ...base, type: "trade.closed", at, payload: p })

/** A pre-decoded `market.tick`. */
export const tick = (at: number, symbol: string, price: number): IncomingEventOf<"market.tick"> => ({
  ...base,
  type: "market.tick",
  at,
  payload: { symbol, price }
})

/** A pre-decoded `order.executed`. */
export const fill = (
  at: number,
  p: {
    order_id: string
    symbol: string
    side: "BUY" | "SELL"
    quantity: number
    price: number
    fee?: number
    fee_asset?: string
    fill_id?: string
    position_side?: "LONG" | "SHORT" | "BOTH"
    leverage?: number
  }
): IncomingEventOf<"order.executed"> => ({ ...base, type: "order.executed", at, payload: p })

/** A pre-decoded `ess.tripped`. */
export const essTripped = (at: number, reason: string): IncomingEventOf<"ess.tripped"> => ({
  ...base,
  type: "ess.tripped",
  at,
  payload: { reason }
})

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

/** The symbols of random sequences, with a typical price of each. */
export const SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"] as const
const TYPICAL_PRICE = [40_000, 3_000, 150, 0.6] as const

/** Friday 2025-03-07 12:00 UTC: random sequences run from here across a weekend and a week boundary. */
export const START = ms("2025-03-07T12:00:00")

/** A price near the typical price of symbol `i` (±20 %, 6 significant decimals). */
const priceOf = (i: number) =>
  fc.integer({ min: 800_000, max: 1_200_000 }).map((k) => Math.round(TYPICAL_PRICE[i]! * k) / 1_000_000)

/** A quantity in [0.001, 5] in steps of 0.001 (decimal steps, so float leftovers appear). */
export const quantity = fc.integer({ min: 1, max: 5_000 }).map((k) => k / 1_000)

const symbolIndex = fc.integer({ min: 0, max: SYMBOLS.length - 1 })
const recent = fc.integer({ min: 0, max: 7 })
const fee = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 500 }).map((k) => k / 100) })

/** One step of a random sequence, before it is given a time. */
export type Step =
  | { readonly kind: "open"; readonly symbol: number; readonly side: "LONG" | "SHORT"; readonly price: number; readonly qty: number; readonly leverage: number; readonly fees: number }
  /** Closes the `trade`-th most recently opened trade, or (`ghost`) a trade that was never opened. */
  | { readonly kind: "close"; readonly trade: number; readonly ghost: boolean; readonly qty: number | undefined; readonly price: number; readonly realized: number | undefined; readonly fees: number }
  | { readonly kind: "tick"; readonly symbol: number; readonly price: number }
  | { readonly kind: "fill"; readonly symbol: number; readonly side: "BUY" | "SELL"; readonly qty: number; readonly price: number; readonly fee: number; readonly positionSide: "LONG" | "SHORT" | undefined; readonly split: boolean }
  | { readonly kind: "ess" }

const openStep = fc.record({
  kind: fc.constant("open" as const),
  symbol: symbolIndex,
  side: fc.constantFrom("LONG" as const, "SHORT" as const),
  qty: quantity,
  leverage: fc.constantFrom(1, 2, 5, 10, 20),
  fees: fee
}).chain((s) => priceOf(s.symbol).map((price) => ({ ...s, price })))

const closeStep = fc.record({
  kind: fc.constant("close" as const),
  trade: recent,
  ghost: fc.integer({ min: 0, max: 7 }).map((k) => k === 0), // one close in eight is an orphan
  qty: fc.option(quantity, { nil: undefined }),
  price: fc.integer({ min: 0, max: SYMBOLS.length - 1 }).chain(priceOf),
  realized: fc.option(fc.integer({ min: -50_000, max: 50_000 }).map((k) => k / 100), { nil: undefined, freq: 3 }),
  fees: fee
})

const tickStep = symbolIndex.chain((symbol) =>
  priceOf(symbol).map((price) => ({ kind: "tick" as const, symbol, price }))
)

const fillStep = fc.record({
  kind: fc.constant("fill" as const),
  symbol: symbolIndex,
  side: fc.constantFrom("BUY" as const, "SELL" as const),
  qty: quantity,
  fee: fee,
  positionSide: fc.oneof(
    { weight: 2, arbitrary: fc.constant("LONG" as const) },
    { weight: 2, arbitrary: fc.constant("SHORT" as const) },
    { weight: 1, arbitrary: fc.constant(undefined) }
  ),
  split: fc.boolean()
}).chain((s) => priceOf(s.symbol).map((price) => ({ ...s, price })))

/** Steps of a trades-mode sequence: opens, closes, ticks, fills (price only), emergency stops. */
export const tradeStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: openStep },
  { weight: 3, arbitrary: closeStep },
  { weight: 5, arbitrary: tickStep },
  { weight: 1, arbitrary: fillStep },
  { weight: 1, arbitrary: fc.constant({ kind: "ess" as const }) }
)

/** Steps of a fills-mode sequence: mostly fills and ticks, with trade events (ignored there). */
export const fillStepMix: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fillStep },
  { weight: 4, arbitrary: tickStep },
  { weight: 1, arbitrary: openStep },
  { weight: 1, arbitrary: closeStep }
)

/** Gaps between events: a millisecond to a day, so sequences cross days and a week boundary. */
const gap = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 60_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 60_000, max: 3_600_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 3_600_000, max: 24 * 3_600_000 }) }
)

/**
 * Gives steps strictly increasing times from `start` and turns them into pre-decoded events.
 * Ids are namespaced by `prefix` so two sequences can be made independent of each other.
 */
export const materialize = (
  steps: ReadonlyArray<readonly [Step, number]>,
  options: { readonly start?: number; readonly prefix?: string; readonly symbols?: ReadonlyArray<string> } = {}
): Array<IncomingEvent> => {
  const prefix = options.prefix ?? ""
  const symbols = options.symbols ?? SYMBOLS
  let at = options.start ?? START
  let order = 0
  let opens = 0
  const events: Array<IncomingEvent> = []
  for (const [step, dt] of steps) {
    at += dt
    switch (step.kind) {
      case "open":
        events.push(
          opened(at, {
            trade_id: `${prefix}t${opens++}`,
            symbol: symbols[step.symbol]!,
            side: step.side,
            entry_price: step.price,
            quantity: step.qty,
            leverage: step.leverage,
            ...(step.fees > 0 ? { fees: step.fees } : {})
          })
        )
        break
      case "close":
        events.push(
          closed(at, {
            trade_id: step.ghost || opens === 0 ? `${prefix}ghost${step.trade}` : `${prefix}t${opens - 1 - (step.trade % opens)}`,
            exit_price: step.price,
            ...(step.qty === undefined ? {} : { quantity: step.qty }),
            ...(step.realized === undefined ? {} : { realized_pnl: step.realized }),
            ...(step.fees > 0 ? { fees: step.fees } : {})
          })
        )
        break
      case "tick":
        events.push(tick(at, symbols[step.symbol]!, step.price))
        break
      case "fill": {
        const id = `${prefix}o${order++}`
        const one = (quantityOf: number, fillId: string | undefined, feeOf: number) =>
          fill(at, {
            order_id: id,
            symbol: symbols[step.symbol]!,
            side: step.side,
            quantity: quantityOf,
            price: step.price,
            ...(feeOf > 0 ? { fee: feeOf } : {}),
            ...(fillId === undefined ? {} : { fill_id: fillId }),
            ...(step.positionSide === undefined ? {} : { position_side: step.positionSide })
          })
        if (step.split && step.qty >= 0.002) {
          // One order filled in two parts, told apart by fill_id.
          const first = Math.round(step.qty * 500) / 1000
          events.push(one(first, "1", step.fee))
          at += 1
          events.push(one(step.qty - first, "2", 0))
        } else {
          events.push(one(step.qty, undefined, step.fee))
        }
        break
      }
      case "ess":
        events.push(essTripped(at, "drawdown limit"))
        break
    }
  }
  return events
}

/** A random trades-mode event sequence of up to `maxLength` steps. */
export const tradeEvents = (maxLength = 60): fc.Arbitrary<Array<IncomingEvent>> =>
  fc.array(fc.tuple(tradeStep, gap), { minLength: 1, maxLength, size: "max" }).map((steps) => materialize(steps))

/** A random fills-mode event sequence of up to `maxLength` steps. */
export const fillEvents = (maxLength = 60): fc.Arbitrary<Array<IncomingEvent>> =>
  fc.array(fc.tuple(fillStepMix, gap), { minLength: 1, maxLength, size: "max" }).map((steps) => materialize(steps))

/**
 * Two sequences that touch nothing in common: disjoint trade ids, order ids and symbols (the
 * first on the USDT pairs, the second on the USDC pairs), each in time order on its own.
 */
export const independentPair = (maxLength = 30): fc.Arbitrary<readonly [Array<IncomingEvent>, Array<IncomingEvent>]> => {
  const steps = fc.array(fc.tuple(fc.oneof(openStep, closeStep, tickStep, fillStep), gap), { minLength: 1, maxLength, size: "max" })
  return fc.tuple(steps, steps).map(([a, b]) => [
    materialize(a, { prefix: "a-" }),
    materialize(b, { prefix: "b-", symbols: SYMBOLS.map((s) => s.replace("USDT", "USDC")) })
  ] as const)
}

/** Merges two sequences in a random interleaving that keeps each one's own order. */
export const interleave = <A>(a: ReadonlyArray<A>, b: ReadonlyArray<A>): fc.Arbitrary<Array<A>> =>
  fc.array(fc.boolean(), { minLength: a.length + b.length, maxLength: a.length + b.length }).map((picks) => {
    const out: Array<A> = []
    let i = 0
    let j = 0
    for (const pickA of picks) {
      if ((pickA && i < a.length) || j >= b.length) out.push(a[i++]!)
      else out.push(b[j++]!)
    }
    return out
  })
