/**
 * A small consumer of the bus, as the service consumes it: chunk by chunk (each chunk is a
 * batch, in the bus's order), each delivery decoded with `decodeEnvelope`; an invalid one is
 * dead-lettered with the `InvalidEvent` (the decision is the consumer's, not the bus's); the
 * valid ones are applied in order, then acknowledged together with `ackAll`. `apply` must be
 * idempotent: delivery is at-least-once. It runs until interrupted.
 *
 * @example
 * const applied = new Set<string>()
 * const loop = ConsumerLoop.run({
 *   eventTypes: ["market.tick"],
 *   apply: (event) => Effect.sync(() => applied.add(event.payload.symbol))
 * })
 *
 * @since 0.1.0
 */
import { type BusError, decodeEnvelope, type DecodeOptions, type Delivery, EventBus, type IncomingEvent } from "@portfolio/core"
import { Chunk, Effect, Either, Stream } from "effect"

/** Options of {@link run}. */
export interface Options<E, R> {
  /** The event types to consume. */
  readonly eventTypes: ReadonlyArray<string>
  /** Applies one valid event; must be idempotent. The entry is acknowledged once it succeeds. */
  readonly apply: (event: IncomingEvent, delivery: Delivery) => Effect.Effect<void, E, R>
  /** Options of `decodeEnvelope` (e.g. the time to use when an event carries none). */
  readonly decode?: DecodeOptions
}

/** Consumes the bus until interrupted; fails when `apply`, an ack or a dead-letter fails. */
export const run = <E, R>(options: Options<E, R>): Effect.Effect<void, E | BusError, EventBus | R> =>
  Effect.flatMap(EventBus, (bus) =>
    bus.subscribe(options.eventTypes).pipe(
      Stream.runForEachChunk((chunk) =>
        Effect.gen(function*() {
          const applied: Array<Delivery> = []
          for (const delivery of Chunk.toReadonlyArray(chunk)) {
            const decoded = decodeEnvelope(delivery.fields, options.decode)
            if (Either.isLeft(decoded)) {
              yield* delivery.deadLetter(decoded.left)
            } else {
              yield* options.apply(decoded.right, delivery)
              applied.push(delivery)
            }
          }
          yield* bus.ackAll(applied)
        })
      )
    ))
