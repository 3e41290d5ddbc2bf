/**
 * The failures of a command: one the user can act on, whose message names the flag, file or
 * line at fault ({@link CommandError}); and one already reported on standard error by the part
 * that failed ({@link Reported}: the service prints its own configuration errors).
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/** A command failed for a reason the user can act on; `message` says which flag, file or line. */
export class CommandError extends Data.TaggedError("CommandError")<{ readonly message: string }> {}

/** A command failed and said why already: nothing more to print, exit code 1. */
export class Reported extends Data.TaggedError("Reported")<{ readonly what: string }> {}
