/**
 * The entry point of the `portfolio` command (the package's bin; `pnpm portfolio …` at the
 * workspace root runs it from source). Exit code 0 on success, 1 on any failure, with one line
 * on standard error naming the bad flag, file or line.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import * as Cli from "./Cli.js"

NodeRuntime.runMain(Cli.main(process.argv).pipe(Effect.provide(NodeContext.layer)), {
  disableErrorReporting: true,
  disablePrettyLogger: true
})
