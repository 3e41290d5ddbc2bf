/**
 * `@portfolio/cli`: the `portfolio` command (`main.ts`) and the parts it is built from, usable
 * as a library: reading recorded events (`EventSource`, `RedisHistory`), replaying them
 * (`Replay`), the summary (`SummaryTable`).
 *
 * @since 0.1.0
 */
export * as BacktestCommand from "./BacktestCommand.js"
export * as Cli from "./Cli.js"
export * as CommandError from "./CommandError.js"
export * as EventSource from "./EventSource.js"
export * as ExportCommand from "./ExportCommand.js"
export * as FileSink from "./FileSink.js"
export * as Flags from "./Flags.js"
export * as Progress from "./Progress.js"
export * as RedisHistory from "./RedisHistory.js"
export * as Replay from "./Replay.js"
export * as ReportCommand from "./ReportCommand.js"
export * as ServeCommand from "./ServeCommand.js"
export * as Stores from "./Stores.js"
export * as SummaryTable from "./SummaryTable.js"
