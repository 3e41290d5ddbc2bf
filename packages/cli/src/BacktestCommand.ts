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
import * as Options from "@effect/cli/Options"
import { closedTradeFields } from "@portfolio/core"
import { Console, Effect, Option } from "effect"
import { setFlagsFromString } from "node:v8"
import { CommandError } from "./CommandError.js"
import { Csv, Tearsheet } from "@portfolio/report"
import * as EventSource from "./EventSource.js"
import * as FileSink from "./FileSink.js"
import * as Flags from "./Flags.js"
import * as Progress from "./Progress.js"
import type * as RedisHistoryModule from "./RedisHistory.js"
import * as ReportCommand from "./ReportCommand.js"
import * as Replay from "./Replay.js"
import * as SummaryTable from "./SummaryTable.js"

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
  initialCash: Flags.initialCash,
  timezone: Flags.timezone,
  positionSource: Flags.positionSource,
  from: Flags.window.from,
  to: Flags.window.to,
  periodsPerYear: Flags.periodsPerYear,
  sampleIntervalMs: Options.integer("sample-interval-ms").pipe(
    Options.withDescription("Event-time interval between equity samples, ms (the live service's snapshot cadence)"),
    Options.withDefault(10_000)
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print the result as JSON instead of a table")),
  equity: Options.text("equity").pipe(Options.withDescription("Write the equity samples of the window to this CSV file"), Options.optional),
  trades: Options.text("trades").pipe(Options.withDescription("Write the closes of the window to this CSV file"), Options.optional),
  report: Options.text("report").pipe(
    Options.withDescription("Write the performance report of the window to this file: .html (tearsheet) or .pdf"),
    Options.optional
  ),
  skipInvalid: Options.boolean("skip-invalid").pipe(
    Options.withDescription("Skip lines that hold no event (counted and listed) instead of stopping at the first")
  )
}

/** The parsed flags of `portfolio backtest`. */
export type BacktestFlags = Command.Command.ParseConfig<typeof flags>

/** Columns of the `--equity` file. */
export const EQUITY_COLUMNS = ["at", "time", "equity", "cash", "unrealized_pnl"] as const

/** Columns of the `--trades` file: a close's record, `time` the ISO close time. */
export const CLOSE_COLUMNS = closedTradeFields

/** `RedisHistory`, loaded only for `--redis`: a replay of files needs no Redis client (ioredis). */
const RedisHistory = (): Promise<typeof RedisHistoryModule> => import("./RedisHistory.js")

const describe = (error: unknown): string =>
  error instanceof Replay.InvalidLine || error instanceof EventSource.SourceError || error instanceof CommandError
    ? error.message
    : error instanceof Error
    ? error.message
    : String(error)

/** Runs a backtest with the flags; answers its result (after writing the files asked for). */
export const execute = (f: BacktestFlags): Effect.Effect<Replay.Result, CommandError> =>
  Effect.tryPromise({
    try: async () => {
      if (f.files.length === 0 && Option.isNone(f.redis)) throw new CommandError({ message: "give at least one FILE, or --redis URL" })
      if (f.files.length > 0 && Option.isSome(f.redis)) throw new CommandError({ message: "give FILEs or --redis URL, not both" })
      const from = Option.getOrUndefined(f.from)
      const to = Option.getOrUndefined(f.to)
      if (from !== undefined && to !== undefined && to <= from) throw new CommandError({ message: "--to must be after --from" })
      const read: EventSource.Progress = { bytesRead: 0 }
      let close = async () => {}
      let records: AsyncIterable<EventSource.Batch>
      let total = 0
      if (Option.isSome(f.redis)) {
        const history = await (await RedisHistory()).open({ url: f.redis.value, streamPrefix: f.streamPrefix })
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

/**
 * How far V8 lets the old generation grow past what the last full collection kept, percent, in
 * a `portfolio backtest` process. A replay keeps little alive (positions, a day's close a day, a
 * thinned curve: ~35 MB of heap at 10 M events) but passes garbage through the old generation
 * (equity samples held for the drawdown's rolling windows, then dropped); by default V8 lets it
 * grow to up to 4× the live size before collecting, which put a 10 M-event replay at 200–210 MB
 * of RSS. 1.5× keeps it near 145 MB for ~1 % of the run's time (11 full collections instead of
 * 6 at 10 M events: +0.2 s of 17 s). Set for the command's process only, not in `execute` (a
 * library call) nor for `serve`.
 */
export const HEAP_GROWING_PERCENT = 50

/** `portfolio backtest`. */
export const command = Command.make("backtest", flags, (f) =>
  Effect.gen(function* () {
    yield* Effect.sync(() => setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`))
    const result = yield* execute(f)
    if (Option.isSome(f.report)) {
      const source = Option.isSome(f.redis) ? (yield* Effect.promise(RedisHistory)).redactUrl(f.redis.value) : f.files.join(", ")
      const report = Tearsheet.make(result.performance, {
        title: "Backtest",
        from: Option.getOrUndefined(f.from),
        to: Option.getOrUndefined(f.to),
        equity: result.snapshot.total_equity,
        periodsPerYear: f.periodsPerYear,
        settings: [
          ["Source", source],
          ["Initial cash", Tearsheet.money(f.initialCash)],
          ["Time zone", f.timezone],
          ["Position source", f.positionSource],
          ["Events applied", String(result.applied)],
          ["Events rejected", String(result.rejected)]
        ]
      })
      yield* ReportCommand.write(report, f.report.value)
    }
    yield* Console.log(f.json ? SummaryTable.json(result) : SummaryTable.table(result))
  })
).pipe(
  Command.withDescription(
    "Replay recorded events (JSON-lines envelopes, gzip accepted, or Redis stream dumps merged by entry id; or --redis URL) through the live service's accounting, and print a summary"
  )
)
