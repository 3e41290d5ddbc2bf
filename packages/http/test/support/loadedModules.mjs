// `node --import ./test/support/loadedModules.mjs …`: records the URL of every module the process
// loads (a module hook, in Node's loader thread, posts each one here) and prints them as one line,
// `LOADED_MODULES ["file:///…", …]`, on SIGUSR2. For tests of what a process does not load.
import { register } from "node:module"
import { MessageChannel } from "node:worker_threads"

const { port1, port2 } = new MessageChannel()
const loaded = new Set()
port1.on("message", (url) => loaded.add(url))
port1.unref()
register("./loadedModulesHooks.mjs", { parentURL: import.meta.url, data: { port: port2 }, transferList: [port2] })
process.on("SIGUSR2", () => {
  // Let the loader thread's last messages arrive first.
  setTimeout(() => console.log(`LOADED_MODULES ${JSON.stringify([...loaded])}`), 50)
})
