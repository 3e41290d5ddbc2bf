/**
 * `portfolio serve`: the HTTP service, exactly as `node packages/http/dist/main.js` runs it
 * (`Program.run` of `@portfolio/http`): settings from the `PORTFOLIO_*` environment, stopped
 * gracefully by SIGINT/SIGTERM; a bad setting stops it at start with the line naming the
 * variable that the service prints itself.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import { Program } from "@portfolio/http"
import { Effect } from "effect"
import { Reported } from "./CommandError.js"

/** The service until interrupted; its failures are printed by `Program.run` already. */
export const serve: Effect.Effect<void, Reported> = Program.run.pipe(
  Effect.asVoid,
  Effect.mapError(() => new Reported({ what: "serve" }))
)

/** `portfolio serve`. */
export const command: Command.Command<"serve", never, Reported, {}> = Command.make("serve", {}, () => serve).pipe(
  Command.withDescription("Run the Portfolio Intelligence service (configured by PORTFOLIO_* environment variables; see the README)")
)
