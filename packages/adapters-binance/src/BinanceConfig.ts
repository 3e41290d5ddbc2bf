/**
 * The environment the Binance adapters read, through effect `Config` (DESIGN.md §7). Secrets
 * are `Redacted`: they are never logged, and a bad value is reported by the variable's name,
 * never echoed.
 *
 * | variable | default |
 * |---|---|
 * | `PORTFOLIO_BINANCE_API_KEY` | — (required for the balance) |
 * | `PORTFOLIO_BINANCE_API_SECRET` | — (required for the balance) |
 * | `PORTFOLIO_BINANCE_REST_URL` | `https://fapi.binance.com` |
 * | `PORTFOLIO_BINANCE_WS_URL` | `wss://fstream.binance.com` |
 * | `PORTFOLIO_BINANCE_MARGIN_ASSETS` | `USDT,USDC,BNFCR` (else `PORTFOLIO_BINANCE_ASSET` alone when that is set) |
 * | `PORTFOLIO_BINANCE_ASSET` | — (superseded by the list above; kept for existing deployments) |
 * | `PORTFOLIO_BINANCE_RECV_WINDOW` | `5000` (ms, 1 – 60000) |
 * | `PORTFOLIO_BINANCE_REFRESH_INTERVAL` | `30 seconds` |
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Duration, Either, Option, Redacted } from "effect"

/** Binance USDⓈ-M futures REST. Testnet: `https://demo-fapi.binance.com`. */
export const DEFAULT_REST_URL = "https://fapi.binance.com"
/**
 * Binance USDⓈ-M futures WebSocket. Without a path the adapter appends `/market/stream`, the
 * routed endpoint of mark-price streams (Binance retired unrouted market URLs on 2026-04-23).
 */
export const DEFAULT_WS_URL = "wss://fstream.binance.com"
/** The cash unit: every margin asset is valued in it (mark of `<asset>USDT`). */
export const DEFAULT_ASSET = "USDT"
/**
 * The wallet assets summed into cash by default: the wallet currencies of a USDT-margined, a
 * USDC-margined and an EU Credits Trading Mode (`BNFCR`) account. Multi-Assets collateral such
 * as BTC, ETH or BNB is counted when listed, at its `<asset>USDT` mark.
 */
export const DEFAULT_MARGIN_ASSETS: ReadonlyArray<string> = ["USDT", "USDC", "BNFCR"]

const secret = (name: string): Config.Config<Redacted.Redacted<string>> =>
  Config.string(name).pipe(
    Config.validate({ message: "must not be empty", validation: (value) => value.trim().length > 0 }),
    Config.map((value) => Redacted.make(value))
  )

/** `PORTFOLIO_BINANCE_API_KEY`. */
export const apiKey: Config.Config<Redacted.Redacted<string>> = secret("PORTFOLIO_BINANCE_API_KEY")
/** `PORTFOLIO_BINANCE_API_SECRET`. */
export const apiSecret: Config.Config<Redacted.Redacted<string>> = secret("PORTFOLIO_BINANCE_API_SECRET")

const urlWith = (name: string, fallback: string, protocols: ReadonlyArray<string>): Config.Config<string> =>
  Config.string(name).pipe(
    Config.validate({
      message: `must be a ${protocols.join(" or ")} URL`,
      validation: (value) => {
        try {
          return protocols.includes(new URL(value).protocol.replace(":", ""))
        } catch {
          return false
        }
      }
    }),
    Config.map((value) => value.replace(/\/+$/, "")),
    Config.withDefault(fallback)
  )

/** `PORTFOLIO_BINANCE_REST_URL` (http or https). */
export const restUrl: Config.Config<string> = urlWith("PORTFOLIO_BINANCE_REST_URL", DEFAULT_REST_URL, ["https", "http"])
/** `PORTFOLIO_BINANCE_WS_URL` (wss or ws). */
export const wsUrl: Config.Config<string> = urlWith("PORTFOLIO_BINANCE_WS_URL", DEFAULT_WS_URL, ["wss", "ws"])

/** `PORTFOLIO_BINANCE_ASSET`: one wallet asset as cash (superseded by {@link marginAssets}). */
export const asset: Config.Config<string> = Config.string("PORTFOLIO_BINANCE_ASSET").pipe(
  Config.map((value) => value.trim().toUpperCase()),
  Config.validate({ message: "must not be empty", validation: (value) => value.length > 0 }),
  Config.withDefault(DEFAULT_ASSET)
)

const ASSET = /^[A-Z0-9]{1,20}$/

/** Parses a comma-separated asset list: trimmed, upper-cased, without repeats; undefined when empty. */
export const parseAssets = (value: string): ReadonlyArray<string> | undefined => {
  const assets = [...new Set(value.split(",").map((a) => a.trim().toUpperCase()).filter((a) => a.length > 0))]
  return assets.length === 0 ? undefined : assets
}

/**
 * `PORTFOLIO_BINANCE_MARGIN_ASSETS`: the wallet assets summed into cash, comma-separated (e.g.
 * `USDT,USDC,BNFCR,BTC`). Unset or empty: `PORTFOLIO_BINANCE_ASSET` alone when that is set,
 * else {@link DEFAULT_MARGIN_ASSETS}.
 */
export const marginAssets: Config.Config<ReadonlyArray<string>> = Config.all([
  Config.option(Config.string("PORTFOLIO_BINANCE_MARGIN_ASSETS")),
  Config.option(Config.string("PORTFOLIO_BINANCE_ASSET"))
]).pipe(
  Config.mapOrFail(([list, single]) => {
    const listed = Option.isSome(list) ? parseAssets(list.value) : undefined
    if (listed !== undefined) {
      const bad = listed.find((a) => !ASSET.test(a))
      return bad === undefined
        ? Either.right(listed)
        : Either.left(ConfigError.InvalidData(["PORTFOLIO_BINANCE_MARGIN_ASSETS"], `not an asset name: ${JSON.stringify(bad)} (letters and digits, comma-separated)`))
    }
    const one = Option.isSome(single) ? parseAssets(single.value) : undefined
    if (one !== undefined && one.length === 1 && ASSET.test(one[0]!)) return Either.right(one)
    if (one !== undefined) return Either.left(ConfigError.InvalidData(["PORTFOLIO_BINANCE_ASSET"], "must be one asset name (letters and digits)"))
    return Either.right(DEFAULT_MARGIN_ASSETS)
  })
)

/** `PORTFOLIO_BINANCE_RECV_WINDOW`, ms. */
export const recvWindow: Config.Config<number> = Config.integer("PORTFOLIO_BINANCE_RECV_WINDOW").pipe(
  Config.validate({ message: "must be an integer from 1 to 60000", validation: (n) => n >= 1 && n <= 60_000 }),
  Config.withDefault(5_000)
)

/** `PORTFOLIO_BINANCE_REFRESH_INTERVAL`: how often balance and positions are read (e.g. `30 seconds`). */
export const refreshInterval: Config.Config<Duration.Duration> = Config.duration("PORTFOLIO_BINANCE_REFRESH_INTERVAL").pipe(
  Config.withDefault(Duration.seconds(30))
)

/**
 * Whether Binance keys are configured: true when both variables are set, false when neither
 * is; one without the other, or an empty one, fails naming the variable. The edge uses it to
 * choose between the Binance balance and paper cash.
 */
export const isConfigured: Config.Config<boolean> = Config.all([Config.option(apiKey), Config.option(apiSecret)]).pipe(
  Config.mapOrFail(([key, secretValue]) => {
    if (Option.isSome(key) === Option.isSome(secretValue)) return Either.right(Option.isSome(key))
    const missing = Option.isNone(key) ? "PORTFOLIO_BINANCE_API_KEY" : "PORTFOLIO_BINANCE_API_SECRET"
    return Either.left(ConfigError.MissingData([missing], `${missing} must be set together with the other Binance key`))
  })
)
