/**
 * The `AccountBalance` port on Binance USDⓈ-M futures: cash is the wallet balance of the
 * configured margin assets (`GET /fapi/v3/balance`) summed at their marks in USDT (USDT 1;
 * USDC and BNFCR 1 unless `GET /fapi/v1/premiumIndex` knows a mark of `<asset>USDT`; any other
 * asset at that mark), and the open positions (`GET /fapi/v3/positionRisk`, leverage from
 * `GET /fapi/v1/symbolConfig`), read by signed REST and refreshed periodically. Readers get the
 * last good value at once, with `staleSince` while reads fail; health is `down` while there
 * never was one, `degraded` while reads fail or the last good one is old.
 *
 * @example
 * const BalanceLive = BinanceAccountBalance.layer({
 *   apiKey: Redacted.make(key),
 *   apiSecret: Redacted.make(secret),
 *   marginAssets: ["USDT", "USDC", "BNFCR"],
 *   refreshInterval: "30 seconds"
 * })
 *
 * @since 0.1.0
 */
import {
  AccountBalance,
  type AccountBalanceService,
  BalanceError,
  type CashAsset,
  type CashBalance,
  type ComponentHealth,
  type ExchangePosition
} from "@portfolio/core"
import { Clock, type ConfigError, Config, Deferred, Duration, Effect, Either, Layer, type Redacted, type Scope } from "effect"
import * as BinanceConfig from "./BinanceConfig.js"
import * as BinanceError from "./BinanceError.js"
import * as BinanceRestClient from "./BinanceRestClient.js"
import { Balances, PositionRisks, PremiumIndexOne, SymbolConfigs } from "./internal/wire.js"

/** How the balance adapter reads Binance. */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiSecret: Redacted.Redacted<string>
  /** Default `https://fapi.binance.com`. Used by {@link layer}; {@link layerOnClient} takes the client's. */
  readonly restUrl?: string | undefined
  /**
   * The wallet assets summed into cash, at their marks in USDT. Default `USDT`, `USDC`, `BNFCR`
   * (or `[asset]` when only `asset` is given). An account needs at least one of them.
   */
  readonly marginAssets?: ReadonlyArray<string> | undefined
  /** One wallet asset as cash: superseded by `marginAssets` (used only without it). */
  readonly asset?: string | undefined
  /** `recvWindow` of signed requests, ms. Default 5000. */
  readonly recvWindow?: number | undefined
  /** How often balance and positions are read. Default 30 seconds. */
  readonly refreshInterval?: Duration.DurationInput | undefined
  /** After a failed read, the next try comes this soon (at most `refreshInterval`). Default 5 seconds. */
  readonly retryInterval?: Duration.DurationInput | undefined
  /** Health turns `degraded` when the last good read is older. Default 3 × `refreshInterval`. */
  readonly staleAfter?: Duration.DurationInput | undefined
  /** Per request. Default 10 seconds. */
  readonly requestTimeout?: Duration.DurationInput | undefined
  /** The server-time offset is re-read when older (and on every `-1021`). Default 1 hour. */
  readonly timeSyncInterval?: Duration.DurationInput | undefined
  /** How long building the layer waits for the first read (it never fails on it). Default 5 seconds. */
  readonly awaitFirstRead?: Duration.DurationInput | undefined
  /** `ComponentHealth.required`. Default true: equity needs cash. */
  readonly required?: boolean | undefined
}

interface Read<A> {
  readonly value: A
  readonly at: number
}

const sideOf = (positionSide: "BOTH" | "LONG" | "SHORT", amount: number): "LONG" | "SHORT" =>
  positionSide === "BOTH" ? (amount > 0 ? "LONG" : "SHORT") : positionSide

const errorFacts = (error: BinanceError.BinanceError) => ({
  tag: error._tag,
  code: error.code ?? null,
  message: error.message
})

/** Valued at 1 USDT unless `<asset>USDT` has a mark: USDT itself, USDC, and BNFCR (Binance's USD-pegged futures credit). */
const PEGGED: ReadonlySet<string> = new Set(["USDT", "USDC", "BNFCR"])
/** Binance's "Invalid symbol.": there is no `<asset>USDT` market. */
const INVALID_SYMBOL = -1121

const iso = (ms: number): string => new Date(ms).toISOString()

/** The margin assets of the options: upper-cased, without repeats. */
export const marginAssetsOf = (options: Pick<Options, "marginAssets" | "asset">): ReadonlyArray<string> => {
  const listed = options.marginAssets ?? (options.asset === undefined ? BinanceConfig.DEFAULT_MARGIN_ASSETS : [options.asset])
  const assets = [...new Set(listed.map((a) => a.trim().toUpperCase()).filter((a) => a.length > 0))]
  return assets.length > 0 ? assets : BinanceConfig.DEFAULT_MARGIN_ASSETS
}

/** Builds the adapter on the shared REST client; its refresh fiber lives in the scope. */
export const make = (options: Options): Effect.Effect<AccountBalanceService, never, Scope.Scope | BinanceRestClient.BinanceRestClient> =>
  Effect.gen(function*() {
    const unit = BinanceConfig.DEFAULT_ASSET
    const marginAssets = marginAssetsOf(options)
    const refresh = Duration.decode(options.refreshInterval ?? "30 seconds")
    const refreshMs = Duration.toMillis(refresh)
    const retryMs = Math.min(refreshMs, Duration.toMillis(Duration.decode(options.retryInterval ?? "5 seconds")))
    const staleMs = options.staleAfter === undefined ? 3 * refreshMs : Duration.toMillis(Duration.decode(options.staleAfter))
    const required = options.required ?? true
    const client = yield* BinanceRestClient.BinanceRestClient
    const signer: BinanceRestClient.Signer = {
      apiKey: options.apiKey,
      apiSecret: options.apiSecret,
      recvWindow: options.recvWindow ?? 5_000,
      requestTimeout: options.requestTimeout ?? "10 seconds",
      timeSyncInterval: options.timeSyncInterval ?? "1 hour"
    }

    let balance: Read<CashBalance & { readonly source: "exchange" }> | undefined
    let positions: Read<ReadonlyArray<ExchangePosition>> | undefined
    let lastError: BinanceError.BinanceError | undefined
    /** First failed refresh since the last good one: the outage, logged once when it starts and once when it ends. */
    let failingSince: number | undefined
    /** First failed balance read since the last good one: the cash's `staleSince`. */
    let cashFailingSince: number | undefined
    /** Listed assets that have no `<asset>USDT` market (and no value unless pegged). */
    const noMarket = new Set<string>()
    /** Listed non-pegged assets held but left out of cash for want of a mark. */
    let unpriced: ReadonlyArray<string> = []
    /** Non-zero wallet assets that are not listed (not cash). */
    let ignored: ReadonlyArray<string> = []
    const marks = new Map<string, number>()
    const leverage = new Map<string, number>()
    let leverageReadAt = Number.NEGATIVE_INFINITY

    /** The mark of a held asset in USDT; `undefined` when it has none (left out of cash). */
    const markOf = (asset: string, held: number): Effect.Effect<number | undefined, BinanceError.BinanceError> => {
      const pegged = PEGGED.has(asset)
      if (asset === unit) return Effect.succeed(1)
      if (held === 0 || noMarket.has(asset)) return Effect.succeed(marks.get(asset) ?? (pegged ? 1 : undefined))
      const symbol = `${asset}${unit}`
      return client.publicGet("/fapi/v1/premiumIndex", [["symbol", symbol]], PremiumIndexOne).pipe(
        Effect.map((index) => {
          marks.set(asset, index.markPrice)
          return index.markPrice
        }),
        Effect.catchAll((error) => {
          if (error._tag === "BinanceRejected" && error.code === INVALID_SYMBOL) {
            noMarket.add(asset)
            return Effect.succeed(pegged ? 1 : undefined)
          }
          const known = marks.get(asset) ?? (pegged ? 1 : undefined)
          return known === undefined ? Effect.fail(error) : Effect.succeed(known)
        })
      )
    }

    const readBalance = Effect.gen(function*() {
      const entries = yield* client.signedGet(signer, "/fapi/v3/balance", [], Balances)
      const byAsset = new Map(entries.map((e) => [e.asset.toUpperCase(), e.balance]))
      const held = marginAssets.filter((a) => byAsset.has(a))
      if (held.length === 0) {
        return yield* Effect.fail(
          new BinanceError.UnexpectedResponse({ path: "/fapi/v3/balance", status: 200, reason: `none of ${marginAssets.join(", ")} in the balance` })
        )
      }
      const assets: Array<CashAsset> = []
      const missing: Array<string> = []
      for (const asset of held) {
        const amount = byAsset.get(asset)!
        const mark = yield* markOf(asset, amount)
        if (mark === undefined) missing.push(asset)
        else assets.push({ asset, balance: amount, mark, value: amount * mark })
      }
      const now = yield* Clock.currentTimeMillis
      unpriced = missing
      ignored = [...byAsset].filter(([a, amount]) => amount !== 0 && !marginAssets.includes(a)).map(([a]) => a)
      const walletBalance = assets.reduce((sum, a) => sum + a.value, 0)
      balance = { value: { source: "exchange", walletBalance, readAt: now, asset: unit, assets }, at: now }
    }).pipe(
      Effect.tap(() => Effect.sync(() => void (cashFailingSince = undefined))),
      Effect.tapError(() => Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.sync(() => void (cashFailingSince ??= now))))
    )

    const readPositions = Effect.gen(function*() {
      const risks = (yield* client.signedGet(signer, "/fapi/v3/positionRisk", [], PositionRisks)).filter((r) => r.positionAmt !== 0)
      const before = yield* Clock.currentTimeMillis
      // Leverage changes rarely: re-read it for a new symbol, or every 10 refreshes.
      if (risks.length > 0 && (risks.some((r) => !leverage.has(r.symbol)) || before - leverageReadAt > 10 * refreshMs)) {
        const configs = yield* client.signedGet(signer, "/fapi/v1/symbolConfig", [], SymbolConfigs).pipe(
          Effect.tapError((error) => Effect.logWarning(`Binance leverage unavailable, derived from margins: ${error.message}`)),
          Effect.orElseSucceed(() => [])
        )
        for (const config of configs) leverage.set(config.symbol, config.leverage)
        if (configs.length > 0) leverageReadAt = before
      }
      const now = yield* Clock.currentTimeMillis
      const value = risks.map((r): ExchangePosition => {
        const margin = r.positionInitialMargin ?? 0
        const derived = margin > 0 && r.notional !== undefined ? Math.abs(r.notional) / margin : 1
        return {
          symbol: r.symbol,
          side: sideOf(r.positionSide, r.positionAmt),
          size: Math.abs(r.positionAmt),
          entryPrice: r.entryPrice,
          markPrice: r.markPrice,
          leverage: leverage.get(r.symbol) ?? derived,
          unrealizedPnl: r.unRealizedProfit
        }
      })
      positions = { value, at: now }
    })

    // An outage is logged once when it starts (warning) and once when it ends (info); the
    // failures in between at debug level.
    const refreshOnce = Effect.zipRight(readBalance, readPositions).pipe(
      Effect.tap(() =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          const since = failingSince
          failingSince = undefined
          lastError = undefined
          return since === undefined ? Effect.void : Effect.logInfo(`Binance balance reads recovered after ${Math.round((now - since) / 1000)} s`)
        })
      ),
      Effect.tapError((error) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) => {
          lastError = error
          const line = `Binance balance refresh failed: ${error.message}`
          if (failingSince !== undefined) return Effect.logDebug(line)
          failingSince = now
          return Effect.logWarning(`${line}; ${balance === undefined ? "no balance yet" : "serving the last good balance, marked stale"}`)
        })
      ),
      Effect.either
    )

    const firstRead = yield* Deferred.make<void>()
    const loop = Effect.gen(function*() {
      while (true) {
        const outcome = yield* refreshOnce
        yield* Deferred.succeed(firstRead, undefined)
        const now = yield* Clock.currentTimeMillis
        let delay = Either.isRight(outcome) || !outcome.left.retryable ? refreshMs : retryMs
        if (client.state.blockedUntil > now) delay = Math.max(delay, client.state.blockedUntil - now)
        yield* Effect.sleep(Duration.millis(delay))
      }
    })
    yield* Effect.forkScoped(loop)
    yield* Deferred.await(firstRead).pipe(Effect.timeout(options.awaitFirstRead ?? "5 seconds"), Effect.ignore)

    const neverRead = (what: string) =>
      new BalanceError({
        reason: lastError === undefined ? `no ${what} read from Binance yet` : lastError.message,
        retryable: lastError?.retryable ?? true,
        code: lastError?.code,
        cause: lastError
      })

    const health: Effect.Effect<ComponentHealth> = Effect.map(Clock.currentTimeMillis, (now) => {
      const state = client.state
      const details: Record<string, unknown> = {
        source: "binance",
        asset: unit,
        margin_assets: marginAssets,
        used_weight_1m: state.usedWeight1m ?? null,
        time_offset_ms: state.timeOffsetMs,
        ...(state.blockedUntil > now ? { backoff_until: iso(state.blockedUntil), backoff_status: state.blockedBy } : {}),
        ...(failingSince === undefined ? {} : { failing_since: iso(failingSince) }),
        ...(lastError === undefined ? {} : { last_error: errorFacts(lastError) })
      }
      if (balance === undefined || positions === undefined) {
        return {
          status: "down",
          required,
          message: lastError === undefined ? "waiting for the first read from Binance" : `no balance yet: ${lastError.message}`,
          details
        }
      }
      const age = now - Math.min(balance.at, positions.at)
      const cash = balance.value
      const full = {
        ...details,
        wallet_balance: cash.walletBalance,
        assets: (cash.assets ?? []).map((a) => ({ asset: a.asset, balance: a.balance, mark: a.mark, value: a.value })),
        ...(unpriced.length > 0 ? { unpriced_assets: unpriced } : {}),
        ...(ignored.length > 0 ? { ignored_assets: ignored } : {}),
        read_at: iso(cash.readAt),
        age_ms: age,
        cash_stale_since: cashFailingSince === undefined ? null : iso(cashFailingSince),
        positions: positions.value.length
      }
      if (failingSince !== undefined) {
        return {
          status: "degraded",
          required,
          message: `Binance reads failing since ${iso(failingSince)}${lastError ? ` (${lastError.message})` : ""}; serving the balance read ${Math.round(age / 1000)} s ago`,
          details: full
        }
      }
      if (age > staleMs) {
        return { status: "degraded", required, message: `last good read is ${Math.round(age / 1000)} s old`, details: full }
      }
      if (unpriced.length > 0) {
        return { status: "degraded", required, message: `no ${unit} mark for ${unpriced.join(", ")}: left out of cash`, details: full }
      }
      const parts = (cash.assets ?? []).filter((a) => a.balance !== 0).map((a) => a.asset)
      return {
        status: "ok",
        required,
        message: `cash ${cash.walletBalance} ${unit}${parts.length > 0 ? ` (${parts.join(" + ")})` : ""} read ${Math.round(age / 1000)} s ago`,
        details: full
      }
    })

    return {
      balance: Effect.suspend(() =>
        balance === undefined
          ? Effect.fail(neverRead("balance"))
          : Effect.succeed(cashFailingSince === undefined ? balance.value : { ...balance.value, staleSince: cashFailingSince })
      ),
      positions: Effect.suspend(() => (positions === undefined ? Effect.fail(neverRead("positions")) : Effect.succeed(positions.value))),
      health
    }
  })

/** The `AccountBalance` port on Binance with the given options, on the `BinanceRestClient` in context. */
export const layerOnClient = (options: Options): Layer.Layer<AccountBalance, never, BinanceRestClient.BinanceRestClient> => Layer.scoped(AccountBalance, make(options))

/**
 * The `AccountBalance` port on Binance with the given options, with its REST client for
 * `restUrl` — the same client as a `BinancePriceFeed.layer` for that URL built with it (see
 * `BinanceRestClient.layer`).
 */
export const layer = (options: Options): Layer.Layer<AccountBalance> =>
  layerOnClient(options).pipe(Layer.provide(BinanceRestClient.layer({ restUrl: options.restUrl })))

/**
 * The options read from the environment (see `BinanceConfig`): keys, REST URL, margin assets,
 * `recvWindow` and refresh interval.
 */
export const optionsConfig: Config.Config<Options> = Config.all({
  apiKey: BinanceConfig.apiKey,
  apiSecret: BinanceConfig.apiSecret,
  restUrl: BinanceConfig.restUrl,
  marginAssets: BinanceConfig.marginAssets,
  recvWindow: BinanceConfig.recvWindow,
  refreshInterval: BinanceConfig.refreshInterval
})

/** The `AccountBalance` port on Binance configured from the environment. */
export const layerConfig: Layer.Layer<AccountBalance, ConfigError.ConfigError> = Layer.unwrapEffect(Effect.map(optionsConfig, layer))
