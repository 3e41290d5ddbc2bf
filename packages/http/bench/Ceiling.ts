/**
 * The ceiling of the HTTP benchmarks: a bare `node:http` server. A POST is read to its end and
 * answered 202 with a JSON body of the size the service answers (an array body:
 * `CEILING_ARRAY_BYTES`, one envelope: `CEILING_SINGLE_BYTES`); a GET is answered 200 with the
 * bytes of the file `CEILING_GET_FILE` (the service's own answer, saved by the benchmark). What
 * HTTP alone costs on this machine, measured with the same client and bodies as the service.
 *
 * Run as a child process: `node --import tsx bench/Ceiling.ts`; prints `listening on <port>`.
 */
import { readFileSync } from "node:fs"
import { createServer } from "node:http"

/** A JSON document of exactly `bytes` bytes. */
const jsonOfSize = (bytes: number): Buffer => {
  const shell = '{"padding":""}'
  return Buffer.from(`{"padding":"${"x".repeat(Math.max(0, bytes - shell.length))}"}`)
}

const arrayAnswer = jsonOfSize(Number(process.env["CEILING_ARRAY_BYTES"] ?? 100))
const singleAnswer = jsonOfSize(Number(process.env["CEILING_SINGLE_BYTES"] ?? 100))

const getFile = process.env["CEILING_GET_FILE"]
const getAnswer = getFile === undefined ? Buffer.from("{}") : readFileSync(getFile)

const server = createServer((request, response) => {
  if (request.method === "GET") {
    response.writeHead(200, { "content-type": "application/json", "content-length": getAnswer.length })
    response.end(getAnswer)
    return
  }
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
