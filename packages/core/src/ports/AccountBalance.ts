/**
 * Where cash comes from: the exchange wallet, or paper cash.
 *
 * @since 0.1.0
 */
import { Context, Data, type Effect } from "effect"
import type { ExchangePosition } from "../schema/ExchangePosition.js"
import type { ComponentHealth } from "../schema/Responses.js"

/** A position as the exchange reports it; defined in `schema/`, re-exported here where it was first. */
export type { ExchangePosition } from "../schema/ExchangePosition.js"

/** One wallet asset counted in an exchange cash balance. */
export interface CashAsset {
  readonly asset: string
  /** The wallet balance, in units of the asset. */
  readonly balance: number
  /** The asset's price in the cash unit (`CashBalance.asset`): 1 for the unit itself. */
  readonly mark: number
  /** `balance × mark`, in the cash unit. */
  readonly value: number
}

/**
 * The cash side of equity.
 *
 * - `paper`: cash is `initial_cash + realized PnL (net of fees)`, which the service derives
 *   from its own trades, so a restart gives the same cash.
 * - `exchange`: the wallet balance the exchange reported at `readAt` (epoch ms), in `asset`
 *   (the cash unit, e.g. `USDT`): the sum of `assets` at their marks when the wallet holds
 *   several margin assets. `staleSince` (epoch ms) is set while reads fail: the time of the
 *   first failed read since the good one at `readAt`; the value is then the last known.
 */
export type CashBalance =
  | { readonly source: "paper"; readonly initialCash: number }
  | {
    readonly source: "exchange"
    readonly walletBalance: number
    readonly readAt: number
    readonly asset: string
    readonly assets?: ReadonlyArray<CashAsset> | undefined
    readonly staleSince?: number | undefined
  }

/** Reading the balance failed. `code` carries the source's error code when it has one. */
export class BalanceError extends Data.TaggedError("BalanceError")<{
  readonly reason: string
  readonly retryable: boolean
  readonly code?: number | undefined
  readonly cause?: unknown
}> {
  override get message(): string {
    return `account balance: ${this.reason}`
  }
}

/**
 * No cash balance was ever read, so equity cannot be computed: the service's queries fail with
 * this (the HTTP edge answers `503`) and periodic snapshots wait. Once a balance was read, a
 * failing source no longer causes it: the last known cash is served, marked stale.
 *
 * `reason` is the source's, in words, with URLs and anything like a credential removed; the
 * error carries no cause, so nothing secret can travel with it.
 */
export class CashUnavailable extends Data.TaggedError("CashUnavailable")<{
  readonly reason: string
  readonly retryable: boolean
  readonly code?: number | undefined
}> {
  override get message(): string {
    return `cash balance unavailable: ${this.reason}`
  }
}

const URL_LIKE = /\b[a-z][a-z0-9+.-]*:\/\/\S+/gi
const CREDENTIAL_LIKE = /\b(signature|api[-_]?key|api[-_]?secret|secret|password|token|x-mbx-apikey)(\s*[=:]\s*)\S+/gi

/** A reason fit for an answer: URLs replaced by `<url>`, `key=value` credentials by `<redacted>`. */
export const sanitizeReason = (reason: string): string =>
  reason.replace(URL_LIKE, "<url>").replace(CREDENTIAL_LIKE, "$1$2<redacted>")

/** The {@link CashUnavailable} of a balance that never answered. */
export const cashUnavailable = (error: BalanceError): CashUnavailable =>
  new CashUnavailable({ reason: sanitizeReason(error.reason), retryable: error.retryable, code: error.code })

/**
 * The account balance port. An exchange implementation refreshes periodically and answers the
 * last good value (its age shows in `health`, and `staleSince` while reads fail); it fails only
 * when it never had one.
 */
export interface AccountBalanceService {
  readonly balance: Effect.Effect<CashBalance, BalanceError>
  /** The exchange's open positions; empty for paper. */
  readonly positions: Effect.Effect<ReadonlyArray<ExchangePosition>, BalanceError>
  readonly health: Effect.Effect<ComponentHealth>
}

/** The account balance: see {@link AccountBalanceService}. */
export class AccountBalance extends Context.Tag("@portfolio/core/AccountBalance")<AccountBalance, AccountBalanceService>() {}
