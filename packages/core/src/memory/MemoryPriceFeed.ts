/**
 * An in-memory `PriceFeed`: the embedded default (no exchange keys, prices come from
 * `market.tick` events) and the fixture of tests. Prices enter through {@link push}; the feed
 * keeps the subscription book, the latest price of each symbol and the staleness health the
 * exchange feed reports.
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Layer, Option, PubSub, Stream } from "effect"
import { PriceFeed, PriceFeedError, type PriceFeedService, type PriceTick } from "../ports/PriceFeed.js"
import type { ComponentHealth } from "../schema/Responses.js"

/** How the memory feed behaves. */
export interface Options {
  /**
   * A subscribed symbol whose latest price was received longer ago than this (or that never
   * had one this long after its subscription) is stale, and makes health `degraded`.
   * Default 30 seconds. `Duration.infinity` turns staleness off: the embedded default, where
   * prices come from `market.tick` events and nothing pushes into this feed, should use it.
   */
  readonly staleAfter?: Duration.DurationInput | undefined
  /** Whether the service needs this component to be up (`ComponentHealth.required`). Default false. */
  readonly required?: boolean | undefined
  /** Ticks buffered per slow reader of `ticks` before the oldest are dropped. Default 4096. */
  readonly bufferSize?: number | undefined
}

/** The default of {@link Options.staleAfter}. */
export const DEFAULT_STALE_AFTER: Duration.Duration = Duration.seconds(30)

/** The hand that feeds the memory feed, and what it can observe of it. */
export interface ControlService {
  /**
   * Records a price. `latest` learns it whatever the subscriptions; `ticks` emits it only when
   * its symbol is subscribed. A tick older than the symbol's latest is ignored (out of order).
   * Fails when the price is not a finite number > 0 or the symbol is empty.
   */
  readonly push: (tick: PriceTick) => Effect.Effect<void, PriceFeedError>
  /** The subscribed symbols, upper-case, sorted. */
  readonly subscribed: Effect.Effect<ReadonlyArray<string>>
}

/** The memory feed's control: see {@link ControlService}. */
export class Control extends Context.Tag("@portfolio/core/MemoryPriceFeed/Control")<Control, ControlService>() {}

/**
 * Records a price in the memory feed of the context.
 *
 * @example
 * yield* MemoryPriceFeed.push({ symbol: "BTCUSDT", price: 65_000, at: Date.now() })
 */
export const push = (tick: PriceTick): Effect.Effect<void, PriceFeedError, Control> =>
  Effect.flatMap(Control, (control) => control.push(tick))

/** A symbol as the feed keys it: trimmed, upper-case. */
export const normalizeSymbol = (symbol: string): string => symbol.trim().toUpperCase()

interface Seen {
  readonly tick: PriceTick
  readonly receivedAt: number
}

const invalid = (reason: string) => new PriceFeedError({ reason, retryable: false })

const normalizeAll = (symbols: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>, PriceFeedError> => {
  const out = symbols.map(normalizeSymbol)
  return out.some((s) => s.length === 0) ? Effect.fail(invalid("empty symbol")) : Effect.succeed(out)
}

/** Builds a memory feed and its control. The feed lives as long as nothing reads it. */
export const make = (options: Options = {}): Effect.Effect<{ readonly feed: PriceFeedService; readonly control: ControlService }> =>
  Effect.gen(function*() {
    const staleAfterMs = Duration.toMillis(Duration.decode(options.staleAfter ?? DEFAULT_STALE_AFTER))
    const required = options.required ?? false
    const hub = yield* PubSub.sliding<PriceTick>(options.bufferSize ?? 4096)
    const subscribed = new Map<string, number>()
    const latest = new Map<string, Seen>()

    const subscribe = (symbols: ReadonlyArray<string>) =>
      Effect.flatMap(normalizeAll(symbols), (normalized) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          for (const symbol of normalized) if (!subscribed.has(symbol)) subscribed.set(symbol, now)
        }))

    const unsubscribe = (symbols: ReadonlyArray<string>) =>
      Effect.map(normalizeAll(symbols), (normalized) => {
        for (const symbol of normalized) subscribed.delete(symbol)
      })

    const pushTick = (raw: PriceTick): Effect.Effect<void, PriceFeedError> => {
      const symbol = normalizeSymbol(raw.symbol)
      if (symbol.length === 0) return Effect.fail(invalid("empty symbol"))
      if (!Number.isFinite(raw.price) || raw.price <= 0) {
        return Effect.fail(invalid(`price of ${symbol} must be a finite number > 0, got ${raw.price}`))
      }
      if (!Number.isFinite(raw.at)) return Effect.fail(invalid(`time of ${symbol} must be finite, got ${raw.at}`))
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const previous = latest.get(symbol)
        if (previous !== undefined && raw.at < previous.tick.at) return Effect.void
        const tick: PriceTick = { symbol, price: raw.price, at: raw.at }
        latest.set(symbol, { tick, receivedAt: now })
        return subscribed.has(symbol) ? Effect.asVoid(PubSub.publish(hub, tick)) : Effect.void
      })
    }

    const health: Effect.Effect<ComponentHealth> = Effect.map(Clock.currentTimeMillis, (now) => {
      const stale: Array<string> = []
      for (const [symbol, subscribedAt] of subscribed) {
        const since = latest.get(symbol)?.receivedAt ?? subscribedAt
        if (now - since > staleAfterMs) stale.push(symbol)
      }
      stale.sort()
      return {
        status: stale.length === 0 ? "ok" : "degraded",
        required,
        message: stale.length === 0
          ? `${subscribed.size} symbol(s) subscribed, prices fresh`
          : `${stale.length} of ${subscribed.size} subscribed symbol(s) without a price for over ${staleAfterMs} ms`,
        details: {
          source: "memory",
          subscribed: subscribed.size,
          stale_count: stale.length,
          stale_symbols: stale.slice(0, 20),
          stale_after_ms: Number.isFinite(staleAfterMs) ? staleAfterMs : null
        }
      }
    })

    const feed: PriceFeedService = {
      subscribe,
      unsubscribe,
      ticks: Stream.fromPubSub(hub),
      latest: (symbol) => Effect.sync(() => Option.map(Option.fromNullable(latest.get(normalizeSymbol(symbol))), (seen) => seen.tick)),
      health
    }
    const control: ControlService = {
      push: pushTick,
      subscribed: Effect.sync(() => [...subscribed.keys()].sort())
    }
    return { feed, control }
  })

/** The memory feed as the `PriceFeed` port plus its {@link Control}, with the given options. */
export const layerWith = (options: Options = {}): Layer.Layer<PriceFeed | Control> =>
  Layer.effectContext(
    Effect.map(make(options), ({ control, feed }) => Context.make(PriceFeed, feed).pipe(Context.add(Control, control)))
  )

/** The memory feed with default options: see {@link layerWith}. */
export const layer: Layer.Layer<PriceFeed | Control> = layerWith()
