/**
 * The flags several commands share, each checked as it is parsed so that a bad value is
 * reported naming its flag: the window (`--from`, `--to`), `--timezone`, `--initial-cash`,
 * `--position-source`, `--periods-per-year`.
 *
 * @since 0.1.0
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import { Calendar } from "@portfolio/core"

/**
 * A time given on the command line: epoch milliseconds, or ISO 8601 — a date alone is UTC
 * midnight, a date-time without a zone is UTC (as the Python services write them).
 */
export const parseTime = (flag: string, text: string): number => {
  const t = text.trim()
  if (/^\d+$/.test(t)) return Number(t)
  const zoned = /T.*(Z|[+-]\d\d:?\d\d)$/i.test(t) || !t.includes("T") ? t : `${t}Z`
  const ms = Date.parse(zoned)
  if (!Number.isFinite(ms)) throw new Error(`${flag}: ${JSON.stringify(text)} is not a time (ISO 8601 like 2025-03-07T09:00:00Z, or epoch milliseconds)`)
  return ms
}

const timeOption = (name: string, description: string) =>
  Options.text(name).pipe(
    Options.withDescription(description),
    Options.mapTryCatch((text) => parseTime(`--${name}`, text), (e) => HelpDoc.p((e as Error).message)),
    Options.optional
  )

/** `--from`/`--to`: the window reported (from inclusive, to exclusive). */
export const window = {
  from: timeOption("from", "Start of the window reported, inclusive (ISO 8601 or epoch ms); earlier events are applied but not reported"),
  to: timeOption("to", "End of the window, exclusive (ISO 8601 or epoch ms); later events are not applied")
}

/** `--timezone`: an IANA zone, checked. */
export const timezone = Options.text("timezone").pipe(
  Options.withDescription("IANA time zone of days, weeks and months (PnL windows, daily returns)"),
  Options.withDefault("UTC"),
  Options.mapTryCatch(
    (zone) => {
      if (!Calendar.isValidTimeZone(zone)) throw new Error(`--timezone: ${JSON.stringify(zone)} is not an IANA time zone (e.g. UTC, Europe/Paris)`)
      return zone
    },
    (e) => HelpDoc.p((e as Error).message)
  )
)

/** `--initial-cash`: starting paper cash, > 0. */
export const initialCash = Options.float("initial-cash").pipe(
  Options.withDescription("Starting cash of the paper account"),
  Options.withDefault(10_000),
  Options.mapTryCatch(
    (x) => {
      if (!(x > 0) || !Number.isFinite(x)) throw new Error(`--initial-cash: must be a positive number, got ${x}`)
      return x
    },
    (e) => HelpDoc.p((e as Error).message)
  )
)

/** `--position-source`. */
export const positionSource = Options.choice("position-source", ["trades", "fills"]).pipe(
  Options.withDescription("Positions from trade.opened/trade.closed (trades) or from order.executed fills (fills)"),
  Options.withDefault("trades" as const)
)

/** `--periods-per-year`: annualization of Sharpe and Sortino. */
export const periodsPerYear = Options.integer("periods-per-year").pipe(
  Options.withDescription("Periods per year to annualize daily Sharpe and Sortino (365: crypto trades every day)"),
  Options.withDefault(365),
  Options.mapTryCatch(
    (n) => {
      if (n <= 0) throw new Error(`--periods-per-year: must be a positive integer, got ${n}`)
      return n
    },
    (e) => HelpDoc.p((e as Error).message)
  )
)

