/**
 * Paper cash: the embedded default of the `AccountBalance` port when no exchange keys are set.
 * The balance is a constant `initial cash`; the service adds realized PnL net of fees from its
 * own trades (DESIGN.md §3), so a restart gives the same cash. There are no exchange positions.
 *
 * @since 0.1.0
 */
import { Config, type ConfigError, Effect, Layer } from "effect"
import { AccountBalance, type AccountBalanceService } from "../ports/AccountBalance.js"

/** The initial cash when `PORTFOLIO_INITIAL_CASH` is not set. */
export const DEFAULT_INITIAL_CASH = 10_000

const isValidCash = (cash: number): boolean => Number.isFinite(cash) && cash >= 0

/**
 * A paper balance of `initialCash` (a finite number ≥ 0; anything else is a defect).
 *
 * @example
 * const balance = PaperBalance.make(25_000)
 * // balance.balance answers { source: "paper", initialCash: 25000 }
 */
export const make = (initialCash: number): AccountBalanceService => {
  if (!isValidCash(initialCash)) {
    throw new RangeError(`paper balance: initial cash must be a finite number ≥ 0, got ${initialCash}`)
  }
  return {
    balance: Effect.succeed({ source: "paper", initialCash }),
    positions: Effect.succeed([]),
    health: Effect.succeed({
      status: "ok",
      required: false,
      message: "paper cash",
      details: { source: "paper", initial_cash: initialCash }
    })
  }
}

/** The `AccountBalance` port answering paper cash of `initialCash` (default 10 000). */
export const layer = (initialCash: number = DEFAULT_INITIAL_CASH): Layer.Layer<AccountBalance> =>
  Layer.sync(AccountBalance, () => make(initialCash))

/**
 * `PORTFOLIO_INITIAL_CASH` (default 10 000): a finite number ≥ 0. A bad value fails with a
 * `ConfigError` naming the variable.
 */
export const initialCashConfig: Config.Config<number> = Config.number("PORTFOLIO_INITIAL_CASH").pipe(
  Config.validate({ message: "must be a finite number ≥ 0", validation: isValidCash }),
  Config.withDefault(DEFAULT_INITIAL_CASH)
)

/** The paper balance with its initial cash read from `PORTFOLIO_INITIAL_CASH`. */
export const layerConfig: Layer.Layer<AccountBalance, ConfigError.ConfigError> = Layer.unwrapEffect(
  Effect.map(initialCashConfig, (cash) => layer(cash))
)
