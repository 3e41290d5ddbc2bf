/**
 * A file written in 64 KiB pieces with synchronous writes: a replay that writes a sample or a
 * close per event keeps one buffer, never a queue of pending writes.
 *
 * @since 0.1.0
 */
import { closeSync, openSync, writeSync } from "node:fs"

/** An open file. */
export interface FileSink {
  readonly path: string
  readonly write: (text: string) => void
  /** Writes what is buffered and closes the file. */
  readonly close: () => void
}

const LIMIT = 1 << 16

/** Creates (or truncates) `path`. */
export const open = (path: string): FileSink => {
  const fd = openSync(path, "w")
  let buffer = ""
  const flush = () => {
    if (buffer.length > 0) writeSync(fd, buffer)
    buffer = ""
  }
  return {
    path,
    write: (text) => {
      buffer += text
      if (buffer.length >= LIMIT) flush()
    },
    close: () => {
      flush()
      closeSync(fd)
    }
  }
}
