/**
 * The ceiling of the ingest benchmark: a bare `node:http` server that reads each request's body
 * to its end and answers 202 with a JSON body of the size the service answers (an array body:
 * `CEILING_ARRAY_BYTES`, one envelope: `CEILING_SINGLE_BYTES`). What HTTP alone costs on this
 * machine, measured with the same client and bodies as the service.
 *
 * Run as a child process: `node --import tsx bench/Ceiling.ts`; prints `listening on <port>`.
 */
import { createServer } from "node:http"

/** A JSON document of exactly `bytes` bytes. */
const jsonOfSize = (bytes: number): Buffer => {
  const shell = '{"padding":""}'
  return Buffer.from(`{"padding":"${"x".repeat(Math.max(0, bytes - shell.length))}"}`)
}

const arrayAnswer = jsonOfSize(Number(process.env["CEILING_ARRAY_BYTES"] ?? 100))
const singleAnswer = jsonOfSize(Number(process.env["CEILING_SINGLE_BYTES"] ?? 100))

const server = createServer((request, response) => {
  const chunks: Array<Buffer> = []
  request.on("data", (chunk: Buffer) => chunks.push(chunk))
  request.on("end", () => {
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
    const answer = body[0] === 0x5b /* [ */ ? arrayAnswer : singleAnswer
    response.writeHead(202, { "content-type": "application/json", "content-length": answer.length })
    response.end(answer)
  })
})

server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  console.log(`listening on ${typeof address === "object" && address !== null ? address.port : 0}`)
})
process.on("SIGTERM", () => server.close(() => process.exit(0)))
