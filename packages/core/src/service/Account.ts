/**
 * The account a service instance serves (DESIGN.md §8): one instance per exchange account,
 * several instances sharing one database and one Redis. `PORTFOLIO_ACCOUNT_ID` (default
 * `default`) scopes the store's rows, the consumer groups and the `source` of what the
 * instance publishes; the default account keeps the Python services' names unchanged, so an
 * existing single-account deployment reads the same groups and publishes the same `source`.
 *
 * @example
 * Account.busName("portfolio_intelligence", "default")      // "portfolio_intelligence"
 * Account.busName("portfolio_intelligence", "binance-main") // "portfolio_intelligence@binance-main"
 *
 * @since 0.1.0
 */
import { Config } from "effect"

/** The account of an instance that names none. */
export const DEFAULT_ACCOUNT_ID = "default"

const pattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/**
 * Whether `id` can name an account: 1 to 64 letters, digits, `_`, `.` or `-`, starting with a
 * letter or digit — safe in a Redis key, a consumer group, a `source` field and a SQL value.
 */
export const isValidAccountId = (id: string): boolean => pattern.test(id)

/** What a valid account id looks like, for error messages. */
export const accountIdRule = "1 to 64 letters, digits, _ . - (starting with a letter or digit)"

/**
 * `PORTFOLIO_ACCOUNT_ID` (trimmed; default `default`): the one reading of the variable that
 * every adapter and the service use. A bad value fails naming the variable.
 */
export const accountIdConfig: Config.Config<string> = Config.string().pipe(
  Config.map((s) => s.trim()),
  Config.validate({ message: `must be ${accountIdRule}`, validation: isValidAccountId }),
  Config.nested("PORTFOLIO_ACCOUNT_ID"),
  Config.withDefault(DEFAULT_ACCOUNT_ID)
)

/**
 * The name an instance goes by on the bus: its consumer groups are
 * `quantum:group:<busName>:<event_type>` and what it publishes carries `source = <busName>`.
 * The default account's is the service name itself (the Python layout); another account's is
 * `<service>@<account>` — `@` is not allowed in a service name, so no account's groups can be
 * another service's.
 */
export const busName = (serviceName: string, accountId: string = DEFAULT_ACCOUNT_ID): string =>
  accountId === DEFAULT_ACCOUNT_ID ? serviceName : `${serviceName}@${accountId}`
