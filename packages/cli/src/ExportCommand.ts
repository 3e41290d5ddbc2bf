/**
 * `portfolio export trades|closes|fills|equity`: the rows of a dataset from the service's
 * store (an SQLite file or a PostgreSQL URL) as CSV (RFC 4180, with a header), JSON or NDJSON,
 * to standard output or `--out FILE`, streamed page by page (constant memory whatever the
 * range; see `Export` in `@portfolio/report`).
 *
 * @example
 * portfolio export closes --db data/portfolio.db --from 2025-03-01 --to 2025-04-01 > march.csv
 * portfolio export equity --postgres postgres://… --account-id main --format ndjson --out equity.ndjson
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type { StoreError } from "@portfolio/core"
import { Export } from "@portfolio/report"
import { Effect, Option, Stream } from "effect"
import { createWriteStream } from "node:fs"
import type { Writable } from "node:stream"
import * as Flags from "./Flags.js"
import { CommandError } from "./CommandError.js"
import * as Stores from "./Stores.js"

const flags = {
  dataset: Args.choice(Export.datasets.map((d) => [d, d] as [string, Export.Dataset]), { name: "DATASET" }).pipe(
    Args.withDescription("trades (round trips), closes (every close), fills, or equity (samples)")
  ),
  format: Options.choice("format", Export.formats).pipe(Options.withDescription("csv (RFC 4180, header row), json (one array) or ndjson"), Options.withDefault("csv" as const)),
  from: Flags.window.from,
  to: Flags.window.to,
  out: Options.text("out").pipe(Options.withDescription("Write to this file instead of standard output"), Options.optional),
  ...Stores.flags
}

/** Writes a piece and waits until the stream took it (backpressure: one piece in flight). */
const write = (out: Writable, text: string): Effect.Effect<void, CommandError> =>
  Effect.async<void, CommandError>((resume) => {
    out.write(text, (error) => resume(error == null ? Effect.void : Effect.fail(new CommandError({ message: `cannot write: ${error.message}` }))))
  })

/** Streams `text` to `out` (standard output when none), closing a file at the end. */
export const writeAll = <E, R>(text: Stream.Stream<string, E, R>, path: Option.Option<string>): Effect.Effect<void, E | CommandError, R> =>
  Effect.acquireUseRelease(
    Effect.sync((): Writable => (Option.isSome(path) ? createWriteStream(path.value) : process.stdout)),
    (out) => Stream.runForEach(text, (piece) => write(out, piece)),
    (out) => (Option.isSome(path) ? Effect.async<void>((resume) => void out.end(() => resume(Effect.void))) : Effect.void)
  )

const storeFailure = (e: StoreError) => new CommandError({ message: `store read failed: ${e.message}` })

/** `portfolio export`. */
export const command = Command.make("export", flags, (f) => {
  const range = { from: Option.getOrUndefined(f.from), to: Option.getOrUndefined(f.to) }
  return writeAll(Export.encode(f.dataset, f.format, Export.rows(f.dataset, range)), f.out).pipe(
    Effect.mapError((e) => (e instanceof CommandError ? e : storeFailure(e))),
    Stores.provide(f)
  )
}).pipe(
  Command.withDescription("Export trades, closes, fills or equity samples from the service's store (SQLite file or PostgreSQL) as CSV, JSON or NDJSON, streamed")
)
