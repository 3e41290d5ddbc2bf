/**
 * `portfolio serve`: the HTTP service, exactly as `node packages/http/dist/main.js` runs it
 * (`Program.run` of `@portfolio/http`): settings from the `PORTFOLIO_*` environment, stopped
 * gracefully by SIGINT/SIGTERM; a bad setting stops it at start with the line naming the
 * variable that the service prints itself.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import { Effect } from "effect"
import { Reported } from "./CommandError.js"

/**
 * The service until interrupted; its failures are printed by `Program.run` already. The
 * service's code is loaded only here, so the other commands start without it.
 */
export const serve: Effect.Effect<void, Reported> = Effect.promise(() => import("@portfolio/http")).pipe(
  Effect.flatMap(({ Program }) => Program.run),
  Effect.asVoid,
  Effect.mapError(() => new Reported({ what: "serve" }))
)

/** `portfolio serve`. */
export const command: Command.Command<"serve", never, Reported, {}> = Command.make("serve", {}, () => serve).pipe(
  Command.withDescription("Run the Portfolio Intelligence service (configured by PORTFOLIO_* environment variables; see the README)")
)
