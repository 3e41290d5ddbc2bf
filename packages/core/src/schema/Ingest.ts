/**
 * The answer to ingesting one event (`POST /api/events`, or a bus delivery): what became of it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"
import { IsoTime } from "./Primitives.js"

/** One field at fault in a rejected event. */
export const IngestIssue = Schema.Struct({
  path: Schema.String,
  message: Schema.String
}).annotations({ identifier: "IngestIssue" })

/**
 * What became of an event:
 * - `applied`: persisted and applied;
 * - `duplicate`: already processed (by its id), nothing changed;
 * - `ignored`: valid but without effect (e.g. a price older than the last one), with the reason;
 * - `parked`: a `trade.closed` whose trade is not open yet: kept durably until its
 *   `trade.opened` arrives, or applied as an orphan close after `PORTFOLIO_ORPHAN_GRACE`;
 * - `rejected`: invalid, counted and parked with the reason; nothing changed.
 */
export const IngestResult = Schema.Struct({
  status: Schema.Literal("applied", "duplicate", "ignored", "parked", "rejected"),
  event_type: Schema.String,
  event_id: Schema.NullOr(Schema.String),
  reason: Schema.NullOr(Schema.String),
  issues: Schema.Array(IngestIssue)
}).annotations({ identifier: "IngestResult" })
/** @since 0.1.0 */
export type IngestResult = typeof IngestResult.Type

/** A rejected event as the service keeps it (the most recent ones), for operators. */
export const RejectedEvent = Schema.Struct({
  event_type: Schema.String,
  reason: Schema.String,
  issues: Schema.Array(IngestIssue),
  origin: Schema.Literal("bus", "http"),
  bus_id: Schema.NullOr(Schema.String),
  rejected_at: IsoTime,
  fields: Schema.Record({ key: Schema.String, value: Schema.String }).annotations({
    description: "the entry's fields as received, each cut to 2 000 characters"
  })
}).annotations({ identifier: "RejectedEvent" })
/** @since 0.1.0 */
export type RejectedEvent = typeof RejectedEvent.Type
