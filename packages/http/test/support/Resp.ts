/**
 * A minimal Redis client over `node:net` (RESP2), for tests to write and read streams the way
 * the Python services do (`XADD … MAXLEN ~ 10000 * field value …`), without a client library.
 * One command at a time.
 */
import { Effect } from "effect"
import { createConnection, type Socket } from "node:net"

/** A reply: simple string, error, integer, bulk string (or null), array. */
export type Reply = string | number | null | ReplyError | ReadonlyArray<Reply>

/** An error reply. */
export class ReplyError extends Error {}

const encode = (args: ReadonlyArray<string>): string =>
  `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`

/** Parses one reply at `at` of `buf`; `undefined` when incomplete. */
const parse = (buf: Buffer, at: number): { readonly value: Reply; readonly next: number } | undefined => {
  const eol = buf.indexOf("\r\n", at)
  if (eol === -1) return undefined
  const line = buf.toString("utf8", at + 1, eol)
  switch (String.fromCharCode(buf[at]!)) {
    case "+":
      return { value: line, next: eol + 2 }
    case "-":
      return { value: new ReplyError(line), next: eol + 2 }
    case ":":
      return { value: Number(line), next: eol + 2 }
    case "$": {
      const n = Number(line)
      if (n === -1) return { value: null, next: eol + 2 }
      if (buf.length < eol + 2 + n + 2) return undefined
      return { value: buf.toString("utf8", eol + 2, eol + 2 + n), next: eol + 2 + n + 2 }
    }
    case "*": {
      const n = Number(line)
      if (n === -1) return { value: null, next: eol + 2 }
      const items: Array<Reply> = []
      let next = eol + 2
      for (let i = 0; i < n; i++) {
        const item = parse(buf, next)
        if (item === undefined) return undefined
        items.push(item.value)
        next = item.next
      }
      return { value: items, next }
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(String.fromCharCode(buf[at]!))}`)
  }
}

/** A connection to Redis at `127.0.0.1:port`, closed with the scope. */
export const connect = (port: number) =>
  Effect.gen(function* () {
    const socket = yield* Effect.acquireRelease(
      Effect.async<Socket, Error>((resume) => {
        const s = createConnection({ host: "127.0.0.1", port })
        s.once("connect", () => resume(Effect.succeed(s)))
        s.once("error", (e) => resume(Effect.fail(e)))
      }),
      (s) => Effect.sync(() => s.destroy())
    )
    const lock = yield* Effect.makeSemaphore(1)
    /** Sends one command and reads its reply; an error reply fails. */
    const command = (...args: ReadonlyArray<string>): Effect.Effect<Reply, Error> =>
      lock.withPermits(1)(
        Effect.async<Reply, Error>((resume) => {
          let buf = Buffer.alloc(0)
          const onData = (chunk: Buffer) => {
            buf = Buffer.concat([buf, chunk])
            const reply = parse(buf, 0)
            if (reply === undefined) return
            socket.off("data", onData)
            resume(reply.value instanceof ReplyError ? Effect.fail(reply.value) : Effect.succeed(reply.value))
          }
          socket.on("data", onData)
          socket.write(encode(args))
          return Effect.sync(() => socket.off("data", onData))
        })
      )
    return { command }
  })

/** `XADD stream MAXLEN ~ 10000 * field value …`, as the Python bus publishes. */
export const xadd = (client: { readonly command: (...args: ReadonlyArray<string>) => Effect.Effect<Reply, Error> }, stream: string, fields: Record<string, string>) =>
  client.command("XADD", stream, "MAXLEN", "~", "10000", "*", ...Object.entries(fields).flat())

/** The entries of a stream as `{ id, fields }`, oldest first. */
export const xrange = (client: { readonly command: (...args: ReadonlyArray<string>) => Effect.Effect<Reply, Error> }, stream: string) =>
  Effect.map(client.command("XRANGE", stream, "-", "+"), (reply) =>
    (reply as ReadonlyArray<readonly [string, ReadonlyArray<string>]>).map(([id, flat]) => {
      const fields: Record<string, string> = {}
      for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!
      return { id, fields }
    })
  )
