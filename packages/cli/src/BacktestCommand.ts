/**
 * `portfolio backtest FILE…` and `portfolio backtest --redis URL`: replays recorded events
 * through core's `Backtest` (see `Replay`) and prints a summary table, or JSON with `--json`.
 *
 * @example
 * portfolio backtest session.jsonl.gz --initial-cash 25000 --timezone Europe/Paris --equity equity.csv
 * redis-cli --raw XRANGE quantum:stream:trade.opened - + > opened.txt   # one dump per stream …
 * portfolio backtest opened.txt closed.txt ticks.txt                      # … merged by entry id
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import { Calendar, type ClosedTradeRecord } from "@portfolio/core"
import { Console, Effect, Option } from "effect"
import { CommandError } from "./CommandError.js"
import { Csv } from "@portfolio/report"
import * as EventSource from "./EventSource.js"
import * as FileSink from "./FileSink.js"
import * as Progress from "./Progress.js"
import * as RedisHistory from "./RedisHistory.js"
import * as Replay from "./Replay.js"
import * as SummaryTable from "./SummaryTable.js"

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

const flags = {
  files: Args.file({ name: "FILE", exists: "yes" }).pipe(
    Args.withDescription("JSON-lines envelopes (gzip accepted) or Redis stream dumps (XRANGE output), one stream per file"),
    Args.repeated
  ),
  redis: Options.text("redis").pipe(
    Options.withDescription("Read the live streams' history from this Redis URL (XRANGE, read-only) instead of files"),
    Options.optional
  ),
  streamPrefix: Options.text("stream-prefix").pipe(
    Options.withDescription("Stream-name prefix with --redis (PORTFOLIO_STREAM_PREFIX)"),
    Options.withDefault("quantum:stream:")
  ),
  initialCash,
  timezone,
  positionSource,
  from: window.from,
  to: window.to,
  periodsPerYear,
  sampleIntervalMs: Options.integer("sample-interval-ms").pipe(
    Options.withDescription("Event-time interval between equity samples, ms (the live service's snapshot cadence)"),
    Options.withDefault(10_000)
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print the result as JSON instead of a table")),
  equity: Options.text("equity").pipe(Options.withDescription("Write the equity samples of the window to this CSV file"), Options.optional),
  trades: Options.text("trades").pipe(Options.withDescription("Write the closes of the window to this CSV file"), Options.optional),
  skipInvalid: Options.boolean("skip-invalid").pipe(
    Options.withDescription("Skip lines that hold no event (counted and listed) instead of stopping at the first")
  )
}

/** The parsed flags of `portfolio backtest`. */
export type Flags = Command.Command.ParseConfig<typeof flags>

/** Columns of the `--equity` file. */
export const EQUITY_COLUMNS = ["at", "time", "equity", "cash", "unrealized_pnl"] as const

/** Columns of the `--trades` file: a close's record, `time` the ISO close time. */
export const CLOSE_COLUMNS = [
  "close_id",
  "trade_id",
  "symbol",
  "side",
  "entry_price",
  "exit_price",
  "quantity",
  "realized_pnl",
  "fees",
  "opened_at",
  "closed_at",
  "remaining_size",
  "orphan",
  "over_close",
  "round_trip_pnl"
] as const satisfies ReadonlyArray<keyof ClosedTradeRecord>

const describe = (error: unknown): string =>
  error instanceof Replay.InvalidLine || error instanceof EventSource.SourceError || error instanceof CommandError
    ? error.message
    : error instanceof Error
    ? error.message
    : String(error)

/** Runs a backtest with the flags; answers its result (after writing the files asked for). */
export const execute = (f: Flags): Effect.Effect<Replay.Result, CommandError> =>
  Effect.tryPromise({
    try: async () => {
      if (f.files.length === 0 && Option.isNone(f.redis)) throw new CommandError({ message: "give at least one FILE, or --redis URL" })
      if (f.files.length > 0 && Option.isSome(f.redis)) throw new CommandError({ message: "give FILEs or --redis URL, not both" })
      const from = Option.getOrUndefined(f.from)
      const to = Option.getOrUndefined(f.to)
      if (from !== undefined && to !== undefined && to <= from) throw new CommandError({ message: "--to must be after --from" })
      const read: EventSource.Progress = { bytesRead: 0 }
      let close = async () => {}
      let records: AsyncIterable<EventSource.Record_>
      let total = 0
      if (Option.isSome(f.redis)) {
        const history = await RedisHistory.open({ url: f.redis.value, streamPrefix: f.streamPrefix })
        records = history.records
        close = history.close
      } else {
        total = EventSource.totalBytes(f.files)
        records = await EventSource.open(f.files, read)
      }
      const equity = Option.map(f.equity, FileSink.open)
      const trades = Option.map(f.trades, FileSink.open)
      const bar = total > 0 ? Progress.make(total) : Progress.none
      try {
        if (Option.isSome(equity)) equity.value.write(Csv.row(EQUITY_COLUMNS))
        if (Option.isSome(trades)) trades.value.write(Csv.row(CLOSE_COLUMNS))
        return await Replay.run(
          records,
          {
            initialCash: f.initialCash,
            timeZone: f.timezone,
            positionSource: f.positionSource,
            from,
            to,
            periodsPerYear: f.periodsPerYear,
            skipInvalid: f.skipInvalid,
            sampleIntervalMs: f.sampleIntervalMs
          },
          {
            sample: Option.isSome(equity)
              ? (s) => equity.value.write(Csv.row([s.at, new Date(s.at).toISOString(), s.equity, s.cash, s.unrealized_pnl]))
              : undefined,
            close: Option.isSome(trades) ? (c) => trades.value.write(Csv.row(CLOSE_COLUMNS.map((k) => c[k]))) : undefined,
            progress: (n) => bar.update(n, read.bytesRead)
          }
        )
      } finally {
        bar.done()
        if (Option.isSome(equity)) equity.value.close()
        if (Option.isSome(trades)) trades.value.close()
        await close()
      }
    },
    catch: (error) => new CommandError({ message: describe(error) })
  })

/** `portfolio backtest`. */
export const command = Command.make("backtest", flags, (f) =>
  Effect.gen(function* () {
    const result = yield* execute(f)
    yield* Console.log(f.json ? SummaryTable.json(result) : SummaryTable.table(result))
  })
).pipe(
  Command.withDescription(
    "Replay recorded events (JSON-lines envelopes, gzip accepted, or Redis stream dumps merged by entry id; or --redis URL) through the live service's accounting, and print a summary"
  )
)
