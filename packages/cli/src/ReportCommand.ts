/**
 * `portfolio report`: the performance report of the service's stored history (an SQLite
 * file or a PostgreSQL URL) for a window — HTML tearsheet or PDF (by `--out`'s extension, or
 * `--format`) — computed from the equity samples and closes streamed from the store. Also
 * {@link write}, which `portfolio backtest --report` uses for a replay's report.
 *
 * @example
 * portfolio report --db data/portfolio.db --from 2025-01-01 --timezone Europe/Paris --out q1.pdf
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import { Performance, Pdf, Tearsheet } from "@portfolio/report"
import { Effect, Option } from "effect"
import { writeFileSync } from "node:fs"
import * as Flags from "./Flags.js"
import { CommandError } from "./CommandError.js"
import * as Stores from "./Stores.js"

/** The rendering a path asks for by its extension (`.pdf`, else HTML). */
export const formatOf = (path: string): "html" | "pdf" => (path.toLowerCase().endsWith(".pdf") ? "pdf" : "html")

/** Renders the report in `format` and writes it to `path`. */
export const write = (report: Tearsheet.Report, path: string, format: "html" | "pdf" = formatOf(path)): Effect.Effect<void, CommandError> =>
  Effect.tryPromise({
    try: async () => writeFileSync(path, format === "pdf" ? await Pdf.render(report) : Tearsheet.html(report)),
    catch: (e) => new CommandError({ message: `cannot write the report to ${path}: ${e instanceof Error ? e.message : String(e)}` })
  })

const flags = {
  out: Options.text("out").pipe(Options.withDescription("Write the report to this file (.pdf: PDF, else HTML)")),
  format: Options.choice("format", ["html", "pdf"]).pipe(Options.withDescription("html or pdf (default: from --out's extension)"), Options.optional),
  from: Flags.window.from,
  to: Flags.window.to,
  timezone: Flags.timezone,
  periodsPerYear: Flags.periodsPerYear,
  title: Options.text("title").pipe(Options.withDescription("The report's title"), Options.withDefault("Portfolio performance")),
  ...Stores.flags
}

/** `portfolio report`. */
export const command = Command.make("report", flags, (f) =>
  Effect.gen(function*() {
    const from = Option.getOrUndefined(f.from)
    const to = Option.getOrUndefined(f.to)
    const perf = yield* Performance.fromStores({ from, to }, { timeZone: f.timezone, periodsPerYear: f.periodsPerYear }).pipe(
      Effect.mapError((e) => new CommandError({ message: `store read failed: ${e.message}` })),
      Stores.provide(f)
    )
    const source = Option.isSome(f.db) ? `SQLite ${f.db.value}` : `PostgreSQL${Option.isSome(f.accountId) ? ` (account ${f.accountId.value})` : ""}`
    const report = Tearsheet.make(perf, {
      title: f.title,
      from,
      to,
      periodsPerYear: f.periodsPerYear,
      settings: [["Time zone", f.timezone], ["Source", source]]
    })
    yield* write(report, f.out, Option.getOrElse(f.format, () => formatOf(f.out)))
  })
).pipe(Command.withDescription("Render the performance report (HTML tearsheet or PDF) of the service's stored history for a window"))
