/**
 * Post-processing of the generated OpenAPI document:
 *
 * - `HttpApi` declares a 400 `HttpApiDecodeError` on every endpoint; this API decodes no
 *   parameters and reads its one body itself (answering its own `BadRequest`), so that error
 *   can never be sent: it is removed, with the schemas only it used;
 * - a schema given a status inline (`addSuccess(IngestResult, { status: 202 })`) is written
 *   out in full; where it equals a named component it becomes a `$ref` again, also as one of
 *   several schemas of a status (`anyOf`). A schema used only there is named by declaring it
 *   among the API's `HttpApi.AdditionalSchemas`.
 */
import { Option, SchemaAST } from "effect"
import { BadRequestWire } from "../ApiError.js"

type Json = Record<string, any>

const DECODE_ERROR = "#/components/schemas/HttpApiDecodeError"
const DECODE_ONLY = ["HttpApiDecodeError", "Issue", "PropertyKey"]

const isDecodeRef = (schema: unknown): boolean =>
  typeof schema === "object" && schema !== null && (schema as Json)["$ref"] === DECODE_ERROR

const badRequestDescription = (): string =>
  Option.getOrElse(SchemaAST.getDescriptionAnnotation(BadRequestWire.ast), () => "Bad request")

const withoutDecodeError = (responses: Json): Json => {
  const out: Json = {}
  for (const [status, response] of Object.entries(responses)) {
    const media = response?.content?.["application/json"]
    const schema = media?.schema
    if (isDecodeRef(schema)) continue
    if (Array.isArray(schema?.anyOf) && schema.anyOf.some(isDecodeRef)) {
      const rest = schema.anyOf.filter((s: unknown) => !isDecodeRef(s))
      out[status] = {
        ...response,
        description: badRequestDescription(),
        content: { ...response.content, "application/json": { ...media, schema: rest.length === 1 ? rest[0] : { anyOf: rest } } }
      }
      continue
    }
    out[status] = response
  }
  return out
}

const reReference = (responses: Json, byShape: Map<string, string>): Json => {
  const nameOf = (schema: unknown): string | undefined => (schema === undefined ? undefined : byShape.get(JSON.stringify(schema)))
  const out: Json = {}
  for (const [status, response] of Object.entries(responses)) {
    const media = response?.content?.["application/json"]
    const schema = media?.schema
    const generic = response.description === "Success" || response.description === "Error"
    const name = nameOf(schema)
    if (name !== undefined) {
      out[status] = {
        ...response,
        description: generic ? name : response.description,
        content: { ...response.content, "application/json": { ...media, schema: { $ref: `#/components/schemas/${name}` } } }
      }
      continue
    }
    // Several schemas for one status (one envelope or an array): each named one by reference.
    const members: Array<unknown> | undefined = Array.isArray(schema?.anyOf) ? schema.anyOf : undefined
    const names = members?.map(nameOf)
    if (members !== undefined && names !== undefined && names.every((n) => n !== undefined)) {
      const descriptions = members.map((m) => (m as Json)["description"])
      out[status] = {
        ...response,
        description: generic || descriptions.includes(response.description) ? names.join(" or ") : response.description,
        content: { ...response.content, "application/json": { ...media, schema: { ...schema, anyOf: names.map((n) => ({ $ref: `#/components/schemas/${n}` })) } } }
      }
      continue
    }
    out[status] = response
  }
  return out
}

/** The transform of the API's document (`OpenApi.Transform`). */
export const dropDecodeErrors = (spec: Json): Json => {
  const schemas: Json = { ...spec["components"]?.["schemas"] }
  const byShape = new Map<string, string>()
  for (const [name, schema] of Object.entries(schemas)) byShape.set(JSON.stringify(schema), name)
  const paths: Json = {}
  for (const [path, item] of Object.entries(spec["paths"] ?? {})) {
    const operations: Json = {}
    for (const [method, op] of Object.entries(item as Json)) {
      operations[method] = { ...op, responses: reReference(withoutDecodeError(op.responses ?? {}), byShape) }
    }
    paths[path] = operations
  }
  const rest = JSON.stringify({ ...spec, paths, components: { ...spec["components"], schemas: {} } })
  for (const name of DECODE_ONLY) {
    const others = JSON.stringify(Object.fromEntries(Object.entries(schemas).filter(([n]) => n !== name)))
    if (!rest.includes(`#/components/schemas/${name}"`) && !others.includes(`#/components/schemas/${name}"`)) delete schemas[name]
  }
  return { ...spec, paths, components: { ...spec["components"], schemas } }
}
