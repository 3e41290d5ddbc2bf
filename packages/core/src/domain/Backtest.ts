/**
 * Replays recorded events through the same accounting as the live service, offline: feed
 * events in order, read snapshots and metrics out. No runtime, no I/O, no clock: "now" is the
 * time of the last event, cash is paper cash (`initial + realized`, realized net of fees), and
 * an equity sample is taken whenever the event time has moved on by `sampleIntervalMs`
 * (default 10 s, as the service's snapshot cadence), so drawdowns match a live run.
 *
 * @example
 * import { Backtest } from "@portfolio/core"
 * const bt = Backtest.make({ initialCash: 10_000, timeZone: "UTC" })
 * for (const line of lines) Backtest.feedEnvelope(bt, JSON.parse(line))
 * console.log(Backtest.snapshot(bt), Backtest.drawdown(bt))
 *
 * @since 0.1.0
 */
import { Either } from "effect"
import { decodeEnvelope, type InvalidEvent } from "../schema/Envelope.js"
import type { IncomingEvent } from "../schema/EventsIn.js"
import type { DrawdownMetrics, ExposureBreakdown, NetPosition, PnLBreakdown, PortfolioSnapshot } from "../schema/Responses.js"
import * as Drawdown from "./Drawdown.js"
import * as Portfolio from "./Portfolio.js"
import * as Valuation from "./Valuation.js"

/** Options of a backtest: the portfolio's plus paper cash and the sampling interval. */
export interface Options extends Portfolio.Options {
  /** Starting cash (default 10 000). */
  readonly initialCash?: number
  /** Event-time interval between equity samples, ms (default 10 000; 0 samples after every event). */
  readonly sampleIntervalMs?: number
}

/** A running backtest. Mutable; owned by one writer. */
export interface Backtest {
  readonly portfolio: Portfolio.Portfolio
  readonly drawdown: Drawdown.Drawdown
  readonly initialCash: number
  readonly sampleIntervalMs: number
  lastSampleAt: number
  rejected: number
  readonly rejections: Array<InvalidEvent>
}

/** A new backtest. */
export const make = (options: Options = {}): Backtest => {
  const portfolio = Portfolio.make(options)
  return {
    portfolio,
    drawdown: Drawdown.make(portfolio.calendar),
    initialCash: options.initialCash ?? 10_000,
    sampleIntervalMs: options.sampleIntervalMs ?? 10_000,
    lastSampleAt: Number.NEGATIVE_INFINITY,
    rejected: 0,
    rejections: []
  }
}

/** Paper cash: initial cash plus realized PnL (net of fees). */
export const cash = (self: Backtest): number => Valuation.paperCash(self.portfolio, self.initialCash)

/** The portfolio marked to market at the last event time. */
export const valuation = (self: Backtest): Valuation.Valuation =>
  Valuation.value(self.portfolio, cash(self), self.portfolio.lastEventAt)

/** Records an equity sample at the last event time now. */
export const sample = (self: Backtest): void => {
  const v = valuation(self)
  Drawdown.record(self.drawdown, { at: v.now, equity: v.equity })
  self.lastSampleAt = v.now
}

/**
 * Applies one decoded event (and the parked closes it releases), sampling equity when the
 * interval has passed. Time is event time: parked closes whose grace (`orphanGraceMs`) has
 * passed by this event's time apply first, as orphan closes — as the live service does on
 * its clock. Answers the event's own decision; `onDecision`, when given, sees every decision
 * made, in order (expired orphan closes, the event's own, the parked closes it released) —
 * what a caller that keeps every close (a trades file) needs.
 */
export const feed = (
  self: Backtest,
  event: IncomingEvent,
  onDecision?: (decision: Portfolio.Decision) => void
): Portfolio.Decision => {
  if (self.portfolio.parked.size > 0) {
    const expired = Portfolio.expireParked(self.portfolio, event.at)
    if (onDecision !== undefined) for (const d of expired) onDecision(d)
  }
  const decisions = Portfolio.step(self.portfolio, event, event.at)
  const decision = decisions[0]!
  if (decision._tag === "Rejected") self.rejected++
  if (onDecision !== undefined) for (const d of decisions) onDecision(d)
  if (self.portfolio.lastEventAt - self.lastSampleAt >= self.sampleIntervalMs) sample(self)
  return decision
}

/**
 * Decodes a bus envelope (as recorded from a stream, `payload` a JSON string or object) and
 * applies it (`onDecision` as for {@link feed}); an invalid one is counted and kept in
 * `rejections` (the first 1 000), never applied.
 */
export const feedEnvelope = (
  self: Backtest,
  envelope: unknown,
  onDecision?: (decision: Portfolio.Decision) => void
): Portfolio.Decision | InvalidEvent => {
  const decoded = decodeEnvelope(envelope, { defaultTime: self.portfolio.lastEventAt })
  if (Either.isLeft(decoded)) {
    self.rejected++
    if (self.rejections.length < 1000) self.rejections.push(decoded.left)
    return decoded.left
  }
  return feed(self, decoded.right, onDecision)
}

/** The snapshot at the last event time. */
export const snapshot = (self: Backtest): PortfolioSnapshot =>
  Valuation.snapshot(self.portfolio, valuation(self), self.drawdown)

/** The PnL breakdown at the last event time. */
export const pnl = (self: Backtest): PnLBreakdown => Valuation.pnl(self.portfolio, valuation(self))

/** The exposure breakdown at the last event time. */
export const exposure = (self: Backtest): ExposureBreakdown => Valuation.exposure(valuation(self))

/** The drawdown metrics at the last event time. */
export const drawdown = (self: Backtest): DrawdownMetrics => Valuation.drawdown(self.drawdown, valuation(self))

/** The net positions per `(symbol, side)`. */
export const netPositions = (self: Backtest): Array<NetPosition> => Valuation.netPositions(valuation(self))
