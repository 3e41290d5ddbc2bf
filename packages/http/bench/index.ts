/**
 * The HTTP service's benchmark (`pnpm bench http` at the root, `pnpm bench` here): the real
 * server as a child process on 127.0.0.1, measured from outside.
 *
 * - `Ingest.ts`: `POST /api/events` throughput — arrays of 1 000 envelopes and single
 *   envelopes — with wrk, beside a bare `node:http` ceiling in the same run (needs `wrk`:
 *   `apt-get install -y wrk`);
 * - `Snapshot.ts`: `GET /api/portfolio/snapshot` with wrk beside a bare server at 100 / 1 000 / 10 000
 *   positions, the latency of an event from POST to snapshot, resident memory.
 *
 * Prints a markdown table; bounded; about three minutes. `pnpm bench -- --dist` runs the build
 * (`pnpm build` first) instead of the sources under tsx (whose loader adds ~80 MB of RSS).
 * `--only ingest` or `--only snapshot` runs one part.
 */
import { Effect } from "effect"
import * as ServerProcess from "../test/support/ServerProcess.js"
import * as Ingest from "./Ingest.js"
import * as Report from "./Report.js"
import * as Snapshot from "./Snapshot.js"

const ENTRY: ServerProcess.Entry = process.argv.includes("--dist") ? "dist" : "source"
const only = process.argv[process.argv.indexOf("--only") + 1]
const start = (env: Record<string, string>, stdoutFile?: string) => ServerProcess.start(env, "45 seconds", ENTRY, stdoutFile)
const from = ENTRY === "dist" ? "dist/main.js" : "src/main.ts under tsx"

const program = Effect.gen(function* () {
  console.error(`http bench: server as a child process on 127.0.0.1, from ${from} …`)
  if (!process.argv.includes("--only") || only === "ingest") yield* Ingest.run(start)
  if (!process.argv.includes("--only") || only === "snapshot") yield* Snapshot.run(start)
  console.log(`server run from ${from}${ENTRY === "dist" ? "" : " (its loader adds ~80 MB of RSS; --dist runs the build)"}\n`)
  console.log(Report.table())
})

Effect.runPromise(program.pipe(Effect.timeout("6 minutes"))).catch((error) => {
  console.error(error)
  process.exit(1)
})
