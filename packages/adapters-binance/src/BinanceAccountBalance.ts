/**
 * The `AccountBalance` port on Binance USDⓈ-M futures: the wallet balance of one asset
 * (`GET /fapi/v3/balance`) and the open positions (`GET /fapi/v3/positionRisk`, leverage from
 * `GET /fapi/v1/symbolConfig`), read by signed REST and refreshed periodically. Readers get the
 * last good value at once; its age shows in `health` (`degraded` past `staleAfter`, `down` while
 * there never was one).
 *
 * @example
 * const BalanceLive = BinanceAccountBalance.layer({
 *   apiKey: Redacted.make(key),
 *   apiSecret: Redacted.make(secret),
 *   refreshInterval: "30 seconds"
 * })
 *
 * @since 0.1.0
 */
import { AccountBalance, type AccountBalanceService, BalanceError, type CashBalance, type ComponentHealth, type ExchangePosition } from "@portfolio/core"
import { Clock, type ConfigError, Config, Deferred, Duration, Effect, Layer, type Redacted, type Scope } from "effect"
import * as BinanceConfig from "./BinanceConfig.js"
import * as BinanceError from "./BinanceError.js"
import * as BinanceRestClient from "./BinanceRestClient.js"
import { Balances, PositionRisks, SymbolConfigs } from "./internal/wire.js"

/** How the balance adapter reads Binance. */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  readonly apiSecret: Redacted.Redacted<string>
  /** Default `https://fapi.binance.com`. Used by {@link layer}; {@link layerOnClient} takes the client's. */
  readonly restUrl?: string | undefined
  /** The wallet asset whose balance is cash. Default `USDT`. */
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

/** Builds the adapter on the shared REST client; its refresh fiber lives in the scope. */
export const make = (options: Options): Effect.Effect<AccountBalanceService, never, Scope.Scope | BinanceRestClient.BinanceRestClient> =>
  Effect.gen(function*() {
    const asset = (options.asset ?? BinanceConfig.DEFAULT_ASSET).toUpperCase()
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
    const leverage = new Map<string, number>()
    let leverageReadAt = Number.NEGATIVE_INFINITY

    const readBalance = Effect.gen(function*() {
      const entries = yield* client.signedGet(signer, "/fapi/v3/balance", [], Balances)
      const entry = entries.find((e) => e.asset.toUpperCase() === asset)
      if (entry === undefined) {
        return yield* Effect.fail(
          new BinanceError.UnexpectedResponse({ path: "/fapi/v3/balance", status: 200, reason: `no ${asset} in the balance` })
        )
      }
      const now = yield* Clock.currentTimeMillis
      balance = { value: { source: "exchange", walletBalance: entry.balance, readAt: now, asset }, at: now }
    })

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

    // A failure is logged as a warning when it is new, then at debug level while it repeats.
    const refreshOnce = Effect.zipRight(readBalance, readPositions).pipe(
      Effect.tap(() =>
        Effect.suspend(() => {
          const recovered = lastError !== undefined
          lastError = undefined
          return recovered ? Effect.logInfo("Binance balance refresh recovered") : Effect.void
        })
      ),
      Effect.tapError((error) =>
        Effect.suspend(() => {
          const repeated = lastError?.message === error.message
          lastError = error
          const line = `Binance balance refresh failed: ${error.message}`
          return repeated ? Effect.logDebug(line) : Effect.logWarning(line)
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
        let delay = outcome._tag === "Right" || !outcome.left.retryable ? refreshMs : retryMs
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
        asset,
        used_weight_1m: state.usedWeight1m ?? null,
        time_offset_ms: state.timeOffsetMs,
        ...(state.blockedUntil > now ? { backoff_until: new Date(state.blockedUntil).toISOString(), backoff_status: state.blockedBy } : {}),
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
      const full = {
        ...details,
        wallet_balance: balance.value.walletBalance,
        read_at: new Date(balance.value.readAt).toISOString(),
        age_ms: age,
        positions: positions.value.length
      }
      return age > staleMs
        ? { status: "degraded", required, message: `last good read is ${Math.round(age / 1000)} s old${lastError ? `: ${lastError.message}` : ""}`, details: full }
        : { status: "ok", required, message: `${asset} wallet balance read ${Math.round(age / 1000)} s ago`, details: full }
    })

    return {
      balance: Effect.suspend(() => (balance === undefined ? Effect.fail(neverRead("balance")) : Effect.succeed(balance.value))),
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
 * The options read from the environment (see `BinanceConfig`): keys, REST URL, asset,
 * `recvWindow` and refresh interval.
 */
export const optionsConfig: Config.Config<Options> = Config.all({
  apiKey: BinanceConfig.apiKey,
  apiSecret: BinanceConfig.apiSecret,
  restUrl: BinanceConfig.restUrl,
  asset: BinanceConfig.asset,
  recvWindow: BinanceConfig.recvWindow,
  refreshInterval: BinanceConfig.refreshInterval
})

/** The `AccountBalance` port on Binance configured from the environment. */
export const layerConfig: Layer.Layer<AccountBalance, ConfigError.ConfigError> = Layer.unwrapEffect(Effect.map(optionsConfig, layer))
