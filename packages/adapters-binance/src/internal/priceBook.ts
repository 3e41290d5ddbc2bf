/**
 * The price feed's book: which symbols are subscribed (since when), the latest price of each
 * and when it was received, and which are stale. Plain mutable state owned by one feed.
 */
import type { PriceTick } from "@portfolio/core"

interface Seen {
  readonly tick: PriceTick
  /** Local receive time, epoch ms: staleness is measured on it (the exchange's clock may differ). */
  readonly receivedAt: number
}

/** A symbol as the book keys it: trimmed, upper-case (`BTCUSDT`). */
export const normalizeSymbol = (symbol: string): string => symbol.trim().toUpperCase()

/** The book. */
export class PriceBook {
  private readonly subscribedAt = new Map<string, number>()
  private readonly seen = new Map<string, Seen>()

  /** Adds symbols; answers those that were not subscribed yet. */
  subscribe(symbols: ReadonlyArray<string>, now: number): ReadonlyArray<string> {
    const fresh: Array<string> = []
    for (const symbol of symbols) {
      if (this.subscribedAt.has(symbol)) continue
      this.subscribedAt.set(symbol, now)
      fresh.push(symbol)
    }
    return fresh
  }

  /** Removes symbols; answers those that were subscribed. */
  unsubscribe(symbols: ReadonlyArray<string>): ReadonlyArray<string> {
    return symbols.filter((symbol) => this.subscribedAt.delete(symbol))
  }

  has(symbol: string): boolean {
    return this.subscribedAt.has(symbol)
  }

  get size(): number {
    return this.subscribedAt.size
  }

  /** The subscribed symbols, sorted. */
  symbols(): Array<string> {
    return [...this.subscribedAt.keys()].sort()
  }

  /**
   * Records a tick of a subscribed symbol; answers whether it is news. Ticks of unsubscribed
   * symbols, older than the latest, or repeating it (same time and price, e.g. from a second
   * connection or the REST fallback) are dropped.
   */
  apply(tick: PriceTick, receivedAt: number): boolean {
    if (!this.subscribedAt.has(tick.symbol)) return false
    const previous = this.seen.get(tick.symbol)?.tick
    if (previous !== undefined && (tick.at < previous.at || (tick.at === previous.at && tick.price === previous.price))) return false
    this.seen.set(tick.symbol, { tick, receivedAt })
    return true
  }

  latest(symbol: string): PriceTick | undefined {
    return this.seen.get(symbol)?.tick
  }

  /** Subscribed symbols without a price received within `staleAfterMs` (counting from the subscription when none came). */
  stale(now: number, staleAfterMs: number): Array<string> {
    const out: Array<string> = []
    for (const [symbol, since] of this.subscribedAt) {
      const last = this.seen.get(symbol)?.receivedAt ?? since
      if (now - last > staleAfterMs) out.push(symbol)
    }
    return out.sort()
  }
}
