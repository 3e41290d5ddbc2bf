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

/**
 * The cash side of equity.
 *
 * - `paper`: cash is `initial_cash + realized PnL (net of fees)`, which the service derives
 *   from its own trades, so a restart gives the same cash.
 * - `exchange`: the wallet balance the exchange reported at `read_at` (epoch ms).
 */
export type CashBalance =
  | { readonly source: "paper"; readonly initialCash: number }
  | { readonly source: "exchange"; readonly walletBalance: number; readonly readAt: number; readonly asset: string }

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
 * The account balance port. An exchange implementation refreshes periodically and answers the
 * last good value (its age shows in `health`); it fails only when it never had one.
 */
export interface AccountBalanceService {
  readonly balance: Effect.Effect<CashBalance, BalanceError>
  /** The exchange's open positions; empty for paper. */
  readonly positions: Effect.Effect<ReadonlyArray<ExchangePosition>, BalanceError>
  readonly health: Effect.Effect<ComponentHealth>
}

/** The account balance: see {@link AccountBalanceService}. */
export class AccountBalance extends Context.Tag("@portfolio/core/AccountBalance")<AccountBalance, AccountBalanceService>() {}
