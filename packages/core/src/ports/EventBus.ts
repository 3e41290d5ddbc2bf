/**
 * The event bus: publish envelopes, consume them with acknowledgement (DESIGN.md §5).
 *
 * @since 0.1.0
 */
import { Context, Data, type Effect, type Stream } from "effect"
import type { Envelope, InvalidEvent } from "../schema/Envelope.js"
import type { ComponentHealth } from "../schema/Responses.js"

/** The bus failed. */
export class BusError extends Data.TaggedError("BusError")<{
  readonly operation: string
  readonly reason: string
  readonly retryable: boolean
  readonly cause?: unknown
}> {
  override get message(): string {
    return `event bus ${this.operation} failed: ${this.reason}`
  }
}

/**
 * One delivered entry. Its fields are raw strings as read (decode them with
 * `decodeEnvelope`). Exactly one of `ack` or `deadLetter` should be called once the entry has
 * been handled; an entry that is neither is delivered again later (at-least-once).
 */
export interface Delivery {
  /** The bus's id of the entry (a Redis stream id, or a sequence number in memory). */
  readonly id: string
  /** The event type the entry was read from. */
  readonly eventType: string
  /** The entry's fields as read. */
  readonly fields: Readonly<Record<string, string>>
  /** How many times this entry has been delivered, 1 the first time. */
  readonly deliveryCount: number
  /** Acknowledge: the event was applied and persisted (or was a duplicate). */
  readonly ack: Effect.Effect<void, BusError>
  /** Park the entry in the dead-letter stream with the reason, and acknowledge it. */
  readonly deadLetter: (error: InvalidEvent) => Effect.Effect<void, BusError>
}

/**
 * The event bus port.
 *
 * - `publish` appends an envelope to the stream of its `event_type`.
 * - `subscribe` yields deliveries of the given event types for this service's consumer group,
 *   **in one order across all the types** (DESIGN.md §5: merged by entry id, so a close is
 *   never delivered before an open written earlier on another stream). Each chunk of the
 *   stream is a batch, as the bus had it: handle a chunk in order, then settle it with
 *   {@link EventBusService.ackAll}. The stream ends when its scope closes.
 * - `ackAll` acknowledges many deliveries in one round trip (one `XACK` per stream).
 */
export interface EventBusService {
  readonly publish: (envelope: Envelope) => Effect.Effect<void, BusError>
  readonly subscribe: (eventTypes: ReadonlyArray<string>) => Stream.Stream<Delivery, BusError>
  /** Acknowledges these deliveries (of any types) at once; the same as calling each `ack`. */
  readonly ackAll: (deliveries: ReadonlyArray<Delivery>) => Effect.Effect<void, BusError>
  readonly health: Effect.Effect<ComponentHealth>
}

/** The event bus: see {@link EventBusService}. */
export class EventBus extends Context.Tag("@portfolio/core/EventBus")<EventBus, EventBusService>() {}
