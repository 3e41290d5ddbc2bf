// Loaded into the service by the pipeline benchmark's `--prof` (NODE_OPTIONS="--import=…",
// where Node 20 refuses --cpu-prof): a CPU profile of the whole process, sampled every
// 200 µs, written to $PIPELINE_PROFILE_OUT when it exits.
import { Session } from "node:inspector"
import { writeFileSync } from "node:fs"

const out = process.env.PIPELINE_PROFILE_OUT
if (out) {
  const session = new Session()
  session.connect()
  session.post("Profiler.enable")
  session.post("Profiler.setSamplingInterval", { interval: 200 })
  session.post("Profiler.start")
  process.on("exit", () => {
    session.post("Profiler.stop", (error, result) => {
      if (!error) writeFileSync(out, JSON.stringify(result.profile))
    })
  })
}
