// The module hook of loadedModules.mjs: tells the main thread each URL loaded.
let port
export const initialize = (data) => {
  port = data.port
}
export const load = async (url, context, next) => {
  port.postMessage(url)
  return next(url, context)
}
