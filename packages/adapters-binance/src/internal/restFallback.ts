/**
 * The REST fallback of the price feed: while the stream is down, poll
 * `GET /fapi/v1/premiumIndex` for the subscribed symbols' mark prices (one request per symbol,
 * weight 1, up to 10 symbols; one request for all, weight 10, beyond).
 */
import type { PriceTick } from "@portfolio/core"
import { Clock, Duration, Effect, PubSub } from "effect"
import type * as BinanceRestClient from "../BinanceRestClient.js"
import type * as StreamSupervisor from "./streamSupervisor.js"
import { PremiumIndex } from "./wire.js"

const PATH = "/fapi/v1/premiumIndex"

type Entry = { readonly symbol: string; readonly markPrice: number; readonly time: number }

const read = (client: BinanceRestClient.Service, symbols: ReadonlyArray<string>, timeout: Duration.Duration) =>
  symbols.length <= 10
    ? Effect.forEach(symbols, (symbol) => Effect.either(client.publicGet(PATH, [["symbol", symbol]], PremiumIndex, timeout))).pipe(
      Effect.map((answers) => {
        const entries: Array<Entry> = []
        let error: string | undefined
        for (const answer of answers) {
          if (answer._tag === "Left") error = answer.left.message
          else entries.push(...(Array.isArray(answer.right) ? answer.right : [answer.right]))
        }
        return { entries, error }
      })
    )
    : client.publicGet(PATH, [], PremiumIndex, timeout).pipe(
      Effect.map((answer) => ({ entries: Array.isArray(answer) ? answer : [answer], error: undefined as string | undefined })),
      Effect.catchAll((error) => Effect.succeed({ entries: [] as ReadonlyArray<Entry>, error: error.message as string | undefined }))
    )

/**
 * Polls every `interval` while the stream has no current connection and symbols are
 * subscribed. While the shared client is held back by a 429 / 418, a poll sends nothing.
 */
export const run = (
  ctx: StreamSupervisor.Context,
  client: BinanceRestClient.Service,
  { interval, timeout }: { readonly interval: Duration.Duration; readonly timeout: Duration.Duration }
): Effect.Effect<never> =>
  Effect.forever(
    Effect.gen(function*() {
      yield* Effect.sleep(interval)
      if (ctx.status.current !== undefined || ctx.book.size === 0) {
        ctx.status.fallbackActive = false
        return
      }
      if (!ctx.status.fallbackActive) yield* Effect.logInfo("Binance mark-price stream down: polling premiumIndex")
      ctx.status.fallbackActive = true
      const { entries, error } = yield* read(client, ctx.book.symbols(), timeout)
      ctx.status.fallbackPolls += 1
      ctx.status.fallbackError = error
      if (error !== undefined) yield* Effect.logDebug(`Binance premiumIndex fallback: ${error}`)
      const now = yield* Clock.currentTimeMillis
      const ticks: Array<PriceTick> = []
      for (const entry of entries) {
        const tick: PriceTick = { symbol: entry.symbol.toUpperCase(), price: entry.markPrice, at: entry.time }
        if (tick.price > 0 && ctx.book.apply(tick, now)) ticks.push(tick)
      }
      if (ticks.length > 0) yield* PubSub.publishAll(ctx.hub, ticks)
    })
  )
