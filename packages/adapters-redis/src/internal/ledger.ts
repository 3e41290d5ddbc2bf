/**
 * What a bus has handed out and not settled yet, how it settles it — `XACK` alone, many
 * `XACK`s in one round trip, or the dead-letter script — and what it counted per event type.
 */
import { type BusError, type Delivery, formatEventTime, type InvalidEvent } from "@portfolio/core"
import { Clock, Effect } from "effect"
import type { Redis } from "ioredis"
import * as Connection from "./connection.js"
import type { Buffered } from "./merge.js"
import type { Settings } from "./settings.js"
import * as Wire from "./wire.js"

/** What happened to the entries of one event type on this bus instance (in health `details.counters`). */
export interface Counters {
  readonly published: number
  /** Handed to a subscription (read new, read again from the pending list, or reclaimed). */
  readonly delivered: number
  readonly acked: number
  readonly dead_lettered: number
  /** Taken over from a consumer that left them pending longer than `claimIdle`. */
  readonly reclaimed: number
}

type MutableCounters = { -readonly [K in keyof Counters]: Counters[K] }

/** The longest `error` text a dead letter carries (a reason can quote a huge field). */
const maxErrorChars = 4_096

/** A delivered entry; settling it goes through the ledger that made it. */
class RedisDelivery implements Delivery {
  readonly #ledger: Ledger
  constructor(
    readonly id: string,
    readonly eventType: string,
    readonly fields: Readonly<Record<string, string>>,
    readonly deliveryCount: number,
    ledger: Ledger
  ) {
    this.#ledger = ledger
  }
  get ack(): Effect.Effect<void, BusError> {
    return this.#ledger.ackAll([this])
  }
  get deadLetter(): (error: InvalidEvent) => Effect.Effect<void, BusError> {
    return (error) => this.#ledger.deadLetter(this, error)
  }
}

/** The deliveries of one bus: in flight, settled, counted. */
export class Ledger {
  /** Entries handed out and not settled, by type and id, with the subscription that holds them. */
  readonly #inFlight = new Map<string, Map<string, object>>()
  /** Entries taken over from other consumers and not delivered yet, by type. */
  readonly #claimed = new Map<string, Set<string>>()
  readonly #counters = new Map<string, MutableCounters>()

  constructor(readonly settings: Settings, readonly commands: Redis) {}

  /** The counters of one event type. */
  countersOf(eventType: string): MutableCounters {
    let c = this.#counters.get(eventType)
    if (c === undefined) {
      c = { published: 0, delivered: 0, acked: 0, dead_lettered: 0, reclaimed: 0 }
      this.#counters.set(eventType, c)
    }
    return c
  }

  /** A copy of every type's counters. */
  snapshot(): Record<string, Counters> {
    return Object.fromEntries([...this.#counters].map(([type, c]) => [type, { ...c }]))
  }

  /** Makes the delivery of an entry read by the subscription `holder`, and records it in flight. */
  deliver(holder: object, entry: Buffered): Delivery {
    const { eventType, id } = entry
    let held = this.#inFlight.get(eventType)
    if (held === undefined) this.#inFlight.set(eventType, held = new Map())
    held.set(id, holder)
    const count = this.countersOf(eventType)
    count.delivered++
    if (this.#claimed.get(eventType)?.delete(id) === true) count.reclaimed++
    return new RedisDelivery(id, eventType, entry.fields, entry.deliveryCount, this)
  }

  /** Whether a subscription of this bus is handling the entry right now. */
  isInFlight(eventType: string, id: string): boolean {
    return this.#inFlight.get(eventType)?.has(id) === true
  }

  /** Notes entries taken over from other consumers: counted as reclaimed when delivered. */
  claimed(eventType: string, ids: ReadonlyArray<string>): void {
    let set = this.#claimed.get(eventType)
    if (set === undefined) this.#claimed.set(eventType, set = new Set())
    for (const id of ids) set.add(id)
  }

  /** Forgets what a subscription held when it ends: its unsettled entries stay pending in Redis. */
  release(holder: object): void {
    for (const held of this.#inFlight.values()) for (const [id, owner] of held) if (owner === holder) held.delete(id)
  }

  #settled(deliveries: ReadonlyArray<Delivery>): Effect.Effect<void> {
    return Effect.sync(() => {
      for (const d of deliveries) this.#inFlight.get(d.eventType)?.delete(d.id)
    })
  }

  /** Acknowledges deliveries of any types: one `XACK <stream> <group> id…` per stream, all in one round trip. */
  ackAll(deliveries: ReadonlyArray<Delivery>): Effect.Effect<void, BusError> {
    if (deliveries.length === 0) return Effect.void
    const byType = new Map<string, Array<string>>()
    for (const d of deliveries) {
      const ids = byType.get(d.eventType)
      if (ids === undefined) byType.set(d.eventType, [d.id])
      else ids.push(d.id)
    }
    const types = [...byType.keys()]
    const { busName, streamPrefix } = this.settings
    const commands = types.map((type): Connection.Command => [
      "xack",
      Wire.streamKey(streamPrefix, type),
      Wire.groupName(busName, type),
      ...byType.get(type)!
    ])
    return Connection.batch(this.commands, "ack", commands).pipe(
      Effect.map((replies) =>
        replies.forEach((acked, i) => {
          this.countersOf(types[i]!).acked += Number(acked)
        })
      ),
      Effect.ensuring(this.#settled(deliveries))
    )
  }

  /** Copies the entry to the dead-letter stream with the reason and acknowledges it, in one script. */
  deadLetter(delivery: Delivery, error: InvalidEvent): Effect.Effect<void, BusError> {
    const { deadLetterPrefix, busName, maxLen, streamPrefix } = this.settings
    const { eventType, id } = delivery
    return Effect.flatMap(Clock.currentTimeMillis, (now) => {
      const fields = Object.entries(delivery.fields).filter(([name]) => !Wire.deadLetterFieldNames.has(name)).flat()
      const reason = error.reason.length > maxErrorChars ? `${error.reason.slice(0, maxErrorChars)}…` : error.reason
      fields.push("error", reason, "failed_at", formatEventTime(now), "original_id", id)
      const key = Wire.streamKey(streamPrefix, eventType)
      const dlq = Wire.streamKey(deadLetterPrefix, eventType)
      const group = Wire.groupName(busName, eventType)
      return Connection.command("dead-letter", () =>
        this.commands.call("EVAL", [Wire.deadLetterScript, "2", key, dlq, group, id, String(maxLen), ...fields]))
    }).pipe(
      Effect.map((parked) => {
        if (Number(parked) > 0) this.countersOf(eventType).dead_lettered++
      }),
      Effect.ensuring(this.#settled([delivery]))
    )
  }
}
