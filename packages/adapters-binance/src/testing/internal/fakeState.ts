/**
 * The fake exchange's state and the documented shapes it renders from it.
 */
import type { WebSocket } from "ws"
import type {
  AccountJson,
  BalanceJson,
  ErrorJson,
  PositionRiskJson,
  PremiumIndexJson,
  SymbolConfigJson
} from "../../internal/wire.js"

/** A wallet balance to serve; unset fields follow `balance`. */
export interface FakeBalance {
  readonly asset: string
  readonly balance: number
  readonly crossWalletBalance?: number
  readonly crossUnPnl?: number
  readonly availableBalance?: number
  readonly maxWithdrawAmount?: number
  /** Whether the asset can be margin in Multi-Assets mode. Default true. */
  readonly marginAvailable?: boolean
}

/** A position to serve. `positionAmt` is signed (negative: short). */
export interface FakePosition {
  readonly symbol: string
  /** Default `BOTH` (one-way mode). */
  readonly positionSide?: "BOTH" | "LONG" | "SHORT"
  readonly positionAmt: number
  readonly entryPrice: number
  /** Default: the symbol's mark price (see `setMarkPrice`), else the entry price. */
  readonly markPrice?: number
}

/** An error answer: HTTP status and Binance's `{code,msg}`. */
export interface FakeError {
  readonly status: number
  readonly code: number
  readonly msg: string
}

/** One REST request as the fake saw it. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  /** The query parameters (the signature included). */
  readonly params: Readonly<Record<string, string>>
  readonly apiKeyPresent: boolean
  /** Local receive time, epoch ms (`Date.now()`). */
  readonly at: number
  /** The fake's server time at receipt. */
  readonly serverTime: number
  /** The HTTP status answered; 0 when the connection was cut without an answer (outage). */
  readonly status: number
  readonly code?: number | undefined
}

/** One WebSocket connection as the fake saw it. */
export interface FakeConnection {
  readonly id: number
  /** `/market/stream`, `/public/stream` or `/stream`: only `/market` carries mark prices. */
  readonly path: string
  /** The streams of the URL's `streams` parameter. */
  readonly urlStreams: ReadonlyArray<string>
  /** The streams subscribed now. */
  readonly streams: ReadonlyArray<string>
  /** Every control message received (parsed JSON). */
  readonly controlMessages: ReadonlyArray<unknown>
  readonly openedAt: number
  readonly closedAt: number | undefined
}

/** A live connection. */
export interface ConnectionState {
  readonly id: number
  readonly path: string
  readonly urlStreams: ReadonlyArray<string>
  readonly socket: WebSocket
  readonly streams: Set<string>
  readonly controlMessages: Array<unknown>
  readonly openedAt: number
  closedAt: number | undefined
  windowStart: number
  windowCount: number
  readonly timers: Array<NodeJS.Timeout>
}

/** A mark price and what goes with it. */
export interface Mark {
  readonly price: number
  readonly indexPrice: number
  readonly fundingRate: number
}

/** Everything the fake knows. */
export interface State {
  readonly apiKey: string
  readonly apiSecret: string
  offsetMs: number
  balances: ReadonlyArray<FakeBalance>
  positions: ReadonlyArray<FakePosition>
  readonly leverage: Map<string, number>
  readonly marks: Map<string, Mark>
  readonly failures: Array<{ readonly error: FakeError; readonly path: string | undefined; remaining: number }>
  rateLimit: { readonly status: 429 | 418; readonly until: number; readonly retryAfterHeader: boolean } | undefined
  /** While on, every REST connection is cut without an answer and WebSocket upgrades are dropped. */
  outage: boolean
  weight: { minute: number; used: number }
  readonly weightLimit: number
  readonly requests: Array<RecordedRequest>
  silent: boolean
  refuse: boolean
  readonly connections: Array<ConnectionState>
  readonly pingIntervalMs: number
  readonly maxConnectionAgeMs: number
  readonly markPriceIntervalMs: number
}

/** The fake exchange's clock: local time plus the configured offset. */
export const serverTime = (state: State): number => Date.now() + state.offsetMs

const fixed = (n: number): string => n.toFixed(8)

/** The leverage of a symbol (default 20). */
export const leverageOf = (state: State, symbol: string): number => state.leverage.get(symbol) ?? 20

const markOf = (state: State, position: FakePosition): number =>
  position.markPrice ?? state.marks.get(position.symbol)?.price ?? position.entryPrice

/** `GET /fapi/v3/balance`. */
export const renderBalances = (state: State): Array<BalanceJson> =>
  state.balances.map((b) => ({
    accountAlias: "SgsR",
    asset: b.asset,
    balance: fixed(b.balance),
    crossWalletBalance: fixed(b.crossWalletBalance ?? b.balance),
    crossUnPnl: fixed(b.crossUnPnl ?? 0),
    availableBalance: fixed(b.availableBalance ?? b.balance),
    maxWithdrawAmount: fixed(b.maxWithdrawAmount ?? b.availableBalance ?? b.balance),
    marginAvailable: b.marginAvailable ?? true,
    updateTime: serverTime(state)
  }))

/** `GET /fapi/v3/positionRisk` (open positions only, as Binance answers). */
export const renderPositionRisk = (state: State, symbol: string | undefined): Array<PositionRiskJson> =>
  state.positions
    .filter((p) => p.positionAmt !== 0 && (symbol === undefined || p.symbol === symbol))
    .map((p) => {
      const mark = markOf(state, p)
      const notional = p.positionAmt * mark
      const margin = Math.abs(notional) / leverageOf(state, p.symbol)
      return {
        symbol: p.symbol,
        positionSide: p.positionSide ?? "BOTH",
        positionAmt: String(p.positionAmt),
        entryPrice: String(p.entryPrice),
        breakEvenPrice: String(p.entryPrice),
        markPrice: fixed(mark),
        unRealizedProfit: fixed((mark - p.entryPrice) * p.positionAmt),
        liquidationPrice: "0",
        isolatedMargin: "0",
        notional: fixed(notional),
        marginAsset: "USDT",
        isolatedWallet: "0",
        initialMargin: fixed(margin),
        maintMargin: fixed(Math.abs(notional) * 0.004),
        positionInitialMargin: fixed(margin),
        openOrderInitialMargin: "0",
        adl: 1,
        bidNotional: "0",
        askNotional: "0",
        updateTime: serverTime(state)
      }
    })

/** `GET /fapi/v1/symbolConfig`: every symbol with a position, a mark or a leverage set. */
export const renderSymbolConfig = (state: State, symbol: string | undefined): Array<SymbolConfigJson> => {
  const symbols = new Set([...state.positions.map((p) => p.symbol), ...state.marks.keys(), ...state.leverage.keys()])
  return [...symbols]
    .filter((s) => symbol === undefined || s === symbol)
    .sort()
    .map((s) => ({ symbol: s, marginType: "CROSSED", isAutoAddMargin: false, leverage: leverageOf(state, s), maxNotionalValue: "1000000" }))
}

/** `GET /fapi/v3/account`. */
export const renderAccount = (state: State): AccountJson => {
  const risks = renderPositionRisk(state, undefined)
  const wallet = state.balances.reduce((sum, b) => sum + b.balance, 0)
  const unrealized = risks.reduce((sum, r) => sum + Number(r.unRealizedProfit), 0)
  const initial = risks.reduce((sum, r) => sum + Number(r.positionInitialMargin), 0)
  const maint = risks.reduce((sum, r) => sum + Number(r.maintMargin), 0)
  const available = wallet + unrealized - initial
  return {
    totalInitialMargin: fixed(initial),
    totalMaintMargin: fixed(maint),
    totalWalletBalance: fixed(wallet),
    totalUnrealizedProfit: fixed(unrealized),
    totalMarginBalance: fixed(wallet + unrealized),
    totalPositionInitialMargin: fixed(initial),
    totalOpenOrderInitialMargin: fixed(0),
    totalCrossWalletBalance: fixed(wallet),
    totalCrossUnPnl: fixed(unrealized),
    availableBalance: fixed(available),
    maxWithdrawAmount: fixed(available),
    assets: renderBalances(state).map((b) => ({
      asset: b.asset,
      walletBalance: b.balance,
      unrealizedProfit: b.crossUnPnl,
      marginBalance: b.balance,
      maintMargin: fixed(0),
      initialMargin: fixed(0),
      positionInitialMargin: fixed(0),
      openOrderInitialMargin: fixed(0),
      crossWalletBalance: b.crossWalletBalance,
      crossUnPnl: b.crossUnPnl,
      availableBalance: b.availableBalance,
      maxWithdrawAmount: b.maxWithdrawAmount,
      updateTime: b.updateTime
    })),
    positions: risks.map((r) => ({
      symbol: r.symbol,
      positionSide: r.positionSide,
      positionAmt: r.positionAmt,
      unrealizedProfit: r.unRealizedProfit,
      isolatedMargin: r.isolatedMargin,
      notional: r.notional,
      isolatedWallet: r.isolatedWallet,
      initialMargin: r.initialMargin,
      maintMargin: r.maintMargin,
      updateTime: r.updateTime
    }))
  }
}

const EIGHT_HOURS = 8 * 60 * 60 * 1000

/** One entry of `GET /fapi/v1/premiumIndex`. */
export const renderPremiumIndex = (state: State, symbol: string, mark: Mark): PremiumIndexJson => {
  const now = serverTime(state)
  return {
    symbol,
    markPrice: fixed(mark.price),
    indexPrice: fixed(mark.indexPrice),
    estimatedSettlePrice: fixed(mark.indexPrice),
    lastFundingRate: fixed(mark.fundingRate),
    interestRate: "0.00010000",
    nextFundingTime: (Math.floor(now / EIGHT_HOURS) + 1) * EIGHT_HOURS,
    time: now
  }
}

/** Binance's error body. */
export const errorBody = (code: number, msg: string): ErrorJson => ({ code, msg })
