/**
 * The events this service publishes. Each payload is a response shape plus what a consumer
 * needs to act on it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { IsoTime } from "./Primitives.js"
import { DrawdownMetrics, ExposureBreakdown, PnLBreakdown, PortfolioSnapshot } from "./Responses.js"

/** `portfolio.snapshot_updated`: every snapshot interval and on every trade lifecycle event. */
export const SnapshotUpdated = PortfolioSnapshot.annotations({ identifier: "SnapshotUpdated" })
/** @since 0.1.0 */
export type SnapshotUpdated = typeof SnapshotUpdated.Type

/**
 * `portfolio.pnl_updated`: on every close, with the close that caused it. Besides our
 * breakdown it carries the original model's `daily_pnl`, `weekly_pnl` and `monthly_pnl`
 * (realized in the window plus the current unrealized PnL, as the original's `daily_pnl`).
 */
export const PnlUpdated = Schema.Struct({
  ...PnLBreakdown.fields,
  daily_pnl: Schema.Number,
  weekly_pnl: Schema.Number,
  monthly_pnl: Schema.Number,
  trade_id: Schema.NullOr(Schema.String),
  symbol: Schema.NullOr(Schema.String),
  trade_realized_pnl: Schema.Number
}).annotations({ identifier: "PnlUpdated" })
/** @since 0.1.0 */
export type PnlUpdated = typeof PnlUpdated.Type

/** `portfolio.exposure_updated`: every snapshot interval. */
export const ExposureUpdated = ExposureBreakdown.annotations({ identifier: "ExposureUpdated" })
/** @since 0.1.0 */
export type ExposureUpdated = typeof ExposureUpdated.Type

/** Why a `portfolio.drawdown_updated` was published. */
export const DrawdownReason = Schema.Literal("threshold_crossed", "recovered", "ess_tripped").annotations({
  identifier: "DrawdownReason"
})
/** @since 0.1.0 */
export type DrawdownReason = typeof DrawdownReason.Type

/**
 * `portfolio.drawdown_updated`: when the daily drawdown crosses the alert threshold (and when it
 * recovers below the hysteresis band), and on `ess.tripped`.
 */
export const DrawdownUpdated = Schema.Struct({
  ...DrawdownMetrics.fields,
  reason: DrawdownReason,
  threshold_pct: Schema.Number,
  ess_reason: Schema.NullOr(Schema.String),
  alert_active: Schema.Boolean,
  triggered_at: IsoTime
}).annotations({ identifier: "DrawdownUpdated" })
/** @since 0.1.0 */
export type DrawdownUpdated = typeof DrawdownUpdated.Type

/** The event types this service publishes, with the schema of each payload. */
export const OutgoingPayloads = {
  "portfolio.snapshot_updated": SnapshotUpdated,
  "portfolio.pnl_updated": PnlUpdated,
  "portfolio.exposure_updated": ExposureUpdated,
  "portfolio.drawdown_updated": DrawdownUpdated
} as const

/** The names of the events this service publishes. */
export type OutgoingEventType = keyof typeof OutgoingPayloads

/** One event to publish: its type and its payload. */
export type OutgoingEvent = {
  readonly [K in OutgoingEventType]: {
    readonly type: K
    readonly payload: Schema.Schema.Type<(typeof OutgoingPayloads)[K]>
    readonly correlationId?: string | undefined
    readonly traceId?: string | undefined
  }
}[OutgoingEventType]

/**
 * An outgoing event as it was published, with its payload's JSON text (the envelope's
 * `payload`), encoded once for the bus: listeners in the process (HTTP push) send these bytes
 * rather than encoding a snapshot of thousands of positions again.
 */
export type PublishedEvent = OutgoingEvent & { readonly payloadJson: string }
