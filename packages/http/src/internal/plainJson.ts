/**
 * Answering a value as JSON without a `Schema.encode` pass when its schema has no
 * transformation anywhere: the value already is its wire form, and encoding a snapshot of
 * thousands of positions field by field costs more than writing it.
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { type Schema, SchemaAST } from "effect"

/** True when no node of `ast` transforms its value (refinements only check; they keep it). */
export const isPlain = (ast: SchemaAST.AST): boolean => {
  switch (ast._tag) {
    case "Transformation":
    case "Declaration":
    case "Suspend":
      return false
    case "Refinement":
      return isPlain(ast.from)
    case "TypeLiteral":
      return ast.propertySignatures.every((p) => isPlain(p.type)) && ast.indexSignatures.every((i) => isPlain(i.type))
    case "TupleType":
      return ast.elements.every((e) => isPlain(e.type)) && ast.rest.every((r) => isPlain(r.type))
    case "Union":
      return ast.types.every(isPlain)
    default:
      return true
  }
}

/**
 * The answer for a value of `schema`: written as JSON directly (with `status`) when the schema
 * is plain, otherwise handed back for the API to encode with the schema (and the status it
 * declares).
 */
export const answer = <A, I>(schema: Schema.Schema<A, I>, status = 200): ((value: A) => A | HttpServerResponse.HttpServerResponse) =>
  isPlain(schema.ast) ? (value) => HttpServerResponse.unsafeJson(value, { status }) : (value) => value
