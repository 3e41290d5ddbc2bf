/**
 * Binance USDⓈ-M futures wire shapes. The `…Json` interfaces are the documented responses,
 * field for field (numbers as strings where Binance sends strings): the fake serves them. The
 * schemas decode the fields the adapter uses and ignore the rest, so an added field never
 * breaks the adapter.
 *
 * Endpoints: `GET /fapi/v1/time`, `GET /fapi/v3/balance`, `GET /fapi/v3/account`,
 * `GET /fapi/v3/positionRisk`, `GET /fapi/v1/symbolConfig`, `GET /fapi/v1/premiumIndex`;
 * stream `<symbol>@markPrice@1s` on `/market/stream`.
 */
import { Schema } from "effect"

/** A decimal sent as a string (`"0.00250000"`), decoded to a finite number. */
const Decimal = Schema.NumberFromString.pipe(Schema.finite())

/** `GET /fapi/v1/time`. */
export interface ServerTimeJson {
  readonly serverTime: number
}
/** Decodes {@link ServerTimeJson}. */
export const ServerTime = Schema.Struct({ serverTime: Schema.Number })

/** Binance's error body. */
export interface ErrorJson {
  readonly code: number
  readonly msg: string
}
/** Decodes {@link ErrorJson}. */
export const ErrorBody = Schema.Struct({ code: Schema.Number, msg: Schema.String })

/** One entry of `GET /fapi/v3/balance` (Futures Account Balance V3). */
export interface BalanceJson {
  readonly accountAlias: string
  readonly asset: string
  /** Wallet balance. */
  readonly balance: string
  readonly crossWalletBalance: string
  readonly crossUnPnl: string
  readonly availableBalance: string
  readonly maxWithdrawAmount: string
  readonly marginAvailable: boolean
  readonly updateTime: number
}
/** Decodes the entries of `GET /fapi/v3/balance`. */
export const Balances = Schema.Array(Schema.Struct({ asset: Schema.String, balance: Decimal, updateTime: Schema.Number }))

/** One entry of `GET /fapi/v3/positionRisk` (Position Information V3). */
export interface PositionRiskJson {
  readonly symbol: string
  /** `BOTH` in one-way mode; `LONG` or `SHORT` in hedge mode. */
  readonly positionSide: "BOTH" | "LONG" | "SHORT"
  /** Signed: negative for a short. */
  readonly positionAmt: string
  readonly entryPrice: string
  readonly breakEvenPrice: string
  readonly markPrice: string
  readonly unRealizedProfit: string
  readonly liquidationPrice: string
  readonly isolatedMargin: string
  readonly notional: string
  readonly marginAsset: string
  readonly isolatedWallet: string
  readonly initialMargin: string
  readonly maintMargin: string
  readonly positionInitialMargin: string
  readonly openOrderInitialMargin: string
  readonly adl: number
  readonly bidNotional: string
  readonly askNotional: string
  readonly updateTime: number
}
/** Decodes the entries of `GET /fapi/v3/positionRisk`. */
export const PositionRisks = Schema.Array(
  Schema.Struct({
    symbol: Schema.String,
    positionSide: Schema.Literal("BOTH", "LONG", "SHORT"),
    positionAmt: Decimal,
    entryPrice: Decimal,
    markPrice: Decimal,
    unRealizedProfit: Decimal,
    notional: Schema.optional(Decimal),
    positionInitialMargin: Schema.optional(Decimal)
  })
)

/** One entry of `GET /fapi/v1/symbolConfig` (Symbol Configuration): where V3 keeps leverage. */
export interface SymbolConfigJson {
  readonly symbol: string
  readonly marginType: "CROSSED" | "ISOLATED"
  readonly isAutoAddMargin: boolean
  readonly leverage: number
  readonly maxNotionalValue: string
}
/** Decodes the entries of `GET /fapi/v1/symbolConfig`. */
export const SymbolConfigs = Schema.Array(Schema.Struct({ symbol: Schema.String, leverage: Schema.Number }))

/** One asset of `GET /fapi/v3/account` (Account Information V3). */
export interface AccountAssetJson {
  readonly asset: string
  readonly walletBalance: string
  readonly unrealizedProfit: string
  readonly marginBalance: string
  readonly maintMargin: string
  readonly initialMargin: string
  readonly positionInitialMargin: string
  readonly openOrderInitialMargin: string
  readonly crossWalletBalance: string
  readonly crossUnPnl: string
  readonly availableBalance: string
  readonly maxWithdrawAmount: string
  readonly updateTime: number
}

/** One position of `GET /fapi/v3/account`. */
export interface AccountPositionJson {
  readonly symbol: string
  readonly positionSide: "BOTH" | "LONG" | "SHORT"
  readonly positionAmt: string
  readonly unrealizedProfit: string
  readonly isolatedMargin: string
  readonly notional: string
  readonly isolatedWallet: string
  readonly initialMargin: string
  readonly maintMargin: string
  readonly updateTime: number
}

/** `GET /fapi/v3/account`. */
export interface AccountJson {
  readonly totalInitialMargin: string
  readonly totalMaintMargin: string
  readonly totalWalletBalance: string
  readonly totalUnrealizedProfit: string
  readonly totalMarginBalance: string
  readonly totalPositionInitialMargin: string
  readonly totalOpenOrderInitialMargin: string
  readonly totalCrossWalletBalance: string
  readonly totalCrossUnPnl: string
  readonly availableBalance: string
  readonly maxWithdrawAmount: string
  readonly assets: ReadonlyArray<AccountAssetJson>
  readonly positions: ReadonlyArray<AccountPositionJson>
}

/** `GET /fapi/v1/premiumIndex` for one symbol (an array of these without `symbol`). */
export interface PremiumIndexJson {
  readonly symbol: string
  readonly markPrice: string
  readonly indexPrice: string
  readonly estimatedSettlePrice: string
  readonly lastFundingRate: string
  readonly interestRate: string
  readonly nextFundingTime: number
  readonly time: number
}
const PremiumIndexEntry = Schema.Struct({ symbol: Schema.String, markPrice: Decimal, time: Schema.Number })
/** Decodes `GET /fapi/v1/premiumIndex`, with or without `symbol`. */
export const PremiumIndex = Schema.Union(PremiumIndexEntry, Schema.Array(PremiumIndexEntry))
/** Decodes `GET /fapi/v1/premiumIndex?symbol=…` (one entry). */
export const PremiumIndexOne = PremiumIndexEntry

/**
 * The documented request weight of a REST call, what it costs of the per-IP budget:
 * premiumIndex 1 with `symbol`, 10 without; balance, positionRisk, symbolConfig, account 5;
 * anything else 1.
 */
export const requestWeight = (path: string, params: ReadonlyArray<readonly [string, unknown]>): number => {
  switch (path) {
    case "/fapi/v1/premiumIndex":
      return params.some(([name]) => name === "symbol") ? 1 : 10
    case "/fapi/v3/balance":
    case "/fapi/v3/positionRisk":
    case "/fapi/v1/symbolConfig":
    case "/fapi/v3/account":
      return 5
    default:
      return 1
  }
}

/** The `data` of a `<symbol>@markPrice[@1s]` stream event. */
export interface MarkPriceUpdateJson {
  readonly e: "markPriceUpdate"
  /** Event time. */
  readonly E: number
  readonly s: string
  /** Mark price. */
  readonly p: string
  /** Index price. */
  readonly i: string
  /** Estimated settle price. */
  readonly P: string
  /** Funding rate. */
  readonly r: string
  /** Next funding time. */
  readonly T: number
}

/** A combined-stream frame: `{"stream":"<name>","data":<payload>}`. */
export interface CombinedJson<A> {
  readonly stream: string
  readonly data: A
}

/** The name of the mark-price stream of a symbol: `btcusdt@markPrice@1s`. */
export const markPriceStream = (symbol: string): string => `${symbol.toLowerCase()}@markPrice@1s`
