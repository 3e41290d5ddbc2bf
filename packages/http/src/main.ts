/**
 * The entry point of the Portfolio Intelligence service: `node dist/main.js` (or `pnpm start`
 * at the root). Configuration comes from `PORTFOLIO_*` environment variables (see the README);
 * SIGTERM and SIGINT stop it gracefully with exit code 0; a bad configuration stops it at start
 * with exit code 1 and a message naming the variable.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Program from "./Program.js"

NodeRuntime.runMain(Program.run, { disableErrorReporting: true, disablePrettyLogger: true })
