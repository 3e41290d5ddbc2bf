/**
 * The progress bar of a replay on standard error: share of the input read, events, events per
 * second and the time left — drawn only when standard error is a terminal (never into a pipe
 * or a log file), at most ten times a second, and wiped at the end.
 *
 * @since 0.1.0
 */

/** A progress bar, or nothing. */
export interface Progress {
  /** Redraws with `events` read and `bytes` of `total` bytes read. */
  readonly update: (events: number, bytes: number) => void
  /** Clears the bar's line. */
  readonly done: () => void
}

/** A bar that draws nothing. */
export const none: Progress = { update: () => {}, done: () => {} }

const WIDTH = 24

const duration = (seconds: number): string => {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--"
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const pad = (n: number) => String(n).padStart(2, "0")
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`
}

/** The bar's text for a state (pure, for tests). */
export const line = (events: number, bytes: number, total: number, elapsedMs: number): string => {
  const share = total > 0 ? Math.min(1, bytes / total) : 0
  const filled = Math.round(share * WIDTH)
  const rate = elapsedMs > 0 ? (events / elapsedMs) * 1000 : 0
  const eta = share > 0 ? (elapsedMs / 1000) * (1 / share - 1) : Number.NaN
  return `[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ` +
    `${events.toLocaleString("en-US")} events ${Math.round(rate).toLocaleString("en-US")} ev/s ETA ${duration(eta)}`
}

/** A bar on `stream` (standard error by default) when it is a terminal, else {@link none}. */
export const make = (total: number, stream: NodeJS.WriteStream = process.stderr): Progress => {
  if (stream.isTTY !== true) return none
  const started = Date.now()
  let drawn = 0
  return {
    update: (events, bytes) => {
      const now = Date.now()
      if (now - drawn < 100) return
      drawn = now
      stream.write(`\r${line(events, bytes, total, now - started)}\x1b[K`)
    },
    done: () => {
      stream.write("\r\x1b[K")
    }
  }
}
