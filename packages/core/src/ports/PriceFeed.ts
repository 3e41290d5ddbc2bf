/**
 * Prices from outside the event bus (an exchange's mark-price stream). Without exchange keys,
 * prices come only from `market.tick` events and this port is the memory feed.
 *
 * @since 0.1.0
 */
import { Context, Data, type Effect, type Option, type Stream } from "effect"
import type { ComponentHealth } from "../schema/Responses.js"

/** One price observation. */
export interface PriceTick {
  readonly symbol: string
  readonly price: number
  /** Observation time, epoch ms. */
  readonly at: number
}

/** The price feed failed. */
export class PriceFeedError extends Data.TaggedError("PriceFeedError")<{
  readonly reason: string
  readonly retryable: boolean
  readonly cause?: unknown
}> {
  override get message(): string {
    return `price feed: ${this.reason}`
  }
}

/**
 * The price feed port: ask for symbols at run time, read the stream of ticks, the latest
 * price of a symbol, and the feed's health (stale prices make it `degraded`).
 */
export interface PriceFeedService {
  readonly subscribe: (symbols: ReadonlyArray<string>) => Effect.Effect<void, PriceFeedError>
  readonly unsubscribe: (symbols: ReadonlyArray<string>) => Effect.Effect<void, PriceFeedError>
  /** Every tick of the subscribed symbols, from the moment of reading on. */
  readonly ticks: Stream.Stream<PriceTick, PriceFeedError>
  readonly latest: (symbol: string) => Effect.Effect<Option.Option<PriceTick>>
  readonly health: Effect.Effect<ComponentHealth>
}

/** The price feed: see {@link PriceFeedService}. */
export class PriceFeed extends Context.Tag("@portfolio/core/PriceFeed")<PriceFeed, PriceFeedService>() {}
