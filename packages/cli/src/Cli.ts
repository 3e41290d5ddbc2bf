/**
 * The `portfolio` command, built with `@effect/cli` (help on every command, `--version`,
 * `--completions bash|fish|zsh`, errors that name the bad flag): `serve`, `backtest`,
 * `export`, `report`.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as ValidationError from "@effect/cli/ValidationError"
import { PortfolioLive } from "@portfolio/core"
import { Cause, Console, Effect, Option } from "effect"
import * as BacktestCommand from "./BacktestCommand.js"
import * as ExportCommand from "./ExportCommand.js"
import * as ReportCommand from "./ReportCommand.js"
import { CommandError, Reported } from "./CommandError.js"
import * as ServeCommand from "./ServeCommand.js"

/** The root command with its subcommands. */
export const command = Command.make("portfolio").pipe(
  Command.withDescription("Portfolio Intelligence: run the service, replay recorded events, export data, render reports"),
  Command.withSubcommands([ServeCommand.command, BacktestCommand.command, ExportCommand.command, ReportCommand.command])
)

/** Parses `argv` (as `process.argv`: node and script first) and runs the command. */
export const run = (argv: ReadonlyArray<string>) =>
  Command.run(command, { name: "portfolio", version: PortfolioLive.VERSION })(argv)

/**
 * `run`, with the failures of a command printed on standard error as one line
 * (`portfolio: <file>:<line>: <reason>`); `@effect/cli` prints its own validation errors.
 */
export const main = (argv: ReadonlyArray<string>) =>
  run(argv).pipe(
    Effect.tapErrorCause((cause) => {
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure)) {
        const error: unknown = failure.value
        if (ValidationError.isValidationError(error)) return Effect.void
        if (error instanceof Reported) return Effect.void
        if (error instanceof CommandError) return Console.error(`portfolio: ${error.message}`)
      }
      return Cause.isInterruptedOnly(cause) ? Effect.void : Console.error(`portfolio: ${Cause.pretty(cause)}`)
    })
  )
