/**
 * GraphQL output types derived from core's `effect/Schema` response schemas, so that GraphQL
 * shows exactly the fields (names, nullability, descriptions) the REST routes answer — one
 * source of truth:
 *
 * - a struct is an object type, named by its `identifier` (else by where it appears); an
 *   optional field is nullable;
 * - every number is `Float` (GraphQL's `Int` is 32-bit; counts and milliseconds are exact as
 *   floats up to 2^53), strings and string literals `String`, booleans `Boolean`;
 * - `NullOr(X)` is a nullable `X`; an array a list;
 * - a record (`exposure_by_symbol`) is a list of `{ key, value }` entries, largest first as
 *   the REST answer lists them;
 * - anything else is the `JSON` scalar (the value as JSON).
 */
import {
  GraphQLBoolean,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  GraphQLFloat,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLScalarType,
  GraphQLString
} from "graphql"
import { Option, Schema, SchemaAST } from "effect"

/** Any JSON value, passed through as it is. */
export const JsonScalar = new GraphQLScalarType({
  name: "JSON",
  description: "Any JSON value, as it is.",
  serialize: (value) => value
})

/** What a type is, before it is made non-null or not. */
interface Derived {
  readonly type: GraphQLOutputType
  readonly nullable: boolean
  /** A record: the field resolves its object to `{ key, value }` entries. */
  readonly entries?: boolean
}

const pascal = (text: string) => text.replace(/(^|_|\.)([a-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())

const text = (ast: SchemaAST.AST): string | undefined => Option.getOrUndefined(SchemaAST.getDescriptionAnnotation(ast))
/** The descriptions every keyword carries ("a number"): not worth repeating on each field. */
const generic = new Set([Schema.Number, Schema.String, Schema.Boolean, Schema.Int, Schema.NonNegativeInt, Schema.Finite].map((s) => text(s.ast)))
const description = (ast: SchemaAST.AST): string | undefined => {
  const t = text(ast)
  return t === undefined || generic.has(t) ? undefined : t
}
const identifier = (ast: SchemaAST.AST): string | undefined => Option.getOrUndefined(SchemaAST.getIdentifierAnnotation(ast))

/** Derives output types, each object type made once per name. */
export class Deriver {
  private readonly objects = new Map<string, GraphQLObjectType>()

  /** The GraphQL type of `schema` (non-null unless it admits null); `name` names an anonymous struct. */
  output(schema: Schema.Schema.Any, name: string): GraphQLOutputType {
    const d = this.derive(schema.ast, name)
    return d.nullable ? d.type : new GraphQLNonNull(d.type)
  }

  /** A field of type `schema` whose value is read from the parent's `key`. */
  field(schema: Schema.Schema.Any, name: string, key: string): GraphQLFieldConfig<unknown, unknown> {
    return this.fieldOf(schema.ast, name, key, false)
  }

  private fieldOf(ast: SchemaAST.AST, name: string, key: string, optional: boolean): GraphQLFieldConfig<unknown, unknown> {
    const d = this.derive(ast, name)
    const type = d.nullable || optional ? d.type : new GraphQLNonNull(d.type)
    const config: GraphQLFieldConfig<unknown, unknown> = { type }
    const about = description(ast)
    if (about !== undefined) config.description = about
    if (d.entries === true) {
      config.resolve = (parent) => {
        const record = (parent as Record<string, unknown>)[key]
        return record === undefined || record === null ? null : Object.entries(record as Record<string, unknown>).map(([k, value]) => ({ key: k, value }))
      }
    }
    return config
  }

  private derive(ast: SchemaAST.AST, name: string): Derived {
    switch (ast._tag) {
      case "NumberKeyword":
        return { type: GraphQLFloat, nullable: false }
      case "StringKeyword":
      case "TemplateLiteral":
      case "Enums":
        return { type: GraphQLString, nullable: false }
      case "BooleanKeyword":
        return { type: GraphQLBoolean, nullable: false }
      case "Literal":
        return {
          type: typeof ast.literal === "number" ? GraphQLFloat : typeof ast.literal === "boolean" ? GraphQLBoolean : ast.literal === null ? JsonScalar : GraphQLString,
          nullable: ast.literal === null
        }
      case "Refinement":
        return this.derive(ast.from, name)
      case "Transformation":
        return this.derive(ast.to, name)
      case "Suspend":
        return this.derive(ast.f(), name)
      case "TupleType": {
        const element = ast.rest[0]
        if (ast.elements.length > 0 || element === undefined) return { type: JsonScalar, nullable: false }
        const inner = this.derive(element.type, name)
        return { type: new GraphQLList(inner.nullable ? inner.type : new GraphQLNonNull(inner.type)), nullable: false }
      }
      case "Union": {
        const members = ast.types.filter((t) => !(t._tag === "Literal" && t.literal === null) && t._tag !== "UndefinedKeyword")
        const nullable = members.length < ast.types.length
        if (members.length === 1) return { ...this.derive(members[0]!, name), nullable }
        if (members.every((t) => t._tag === "Literal" && typeof t.literal === "string")) return { type: GraphQLString, nullable }
        return { type: JsonScalar, nullable }
      }
      case "TypeLiteral":
        return this.object(ast, name)
      default:
        return { type: JsonScalar, nullable: false }
    }
  }

  private object(ast: SchemaAST.TypeLiteral, fallback: string): Derived {
    if (ast.propertySignatures.length === 0 && ast.indexSignatures.length === 1) {
      const value = this.derive(ast.indexSignatures[0]!.type, `${fallback}Value`)
      const entryName = `${pascal(fallback)}Entry`
      const entry = this.objects.get(entryName) ?? new GraphQLObjectType({
        name: entryName,
        fields: { key: { type: new GraphQLNonNull(GraphQLString) }, value: { type: value.nullable ? value.type : new GraphQLNonNull(value.type) } }
      })
      this.objects.set(entryName, entry)
      return { type: new GraphQLList(new GraphQLNonNull(entry)), nullable: false, entries: true }
    }
    const name = identifier(ast) ?? pascal(fallback)
    const existing = this.objects.get(name)
    if (existing !== undefined) return { type: existing, nullable: false }
    const about = description(ast)
    const type: GraphQLObjectType = new GraphQLObjectType({
      name,
      ...(about === undefined ? {} : { description: about }),
      fields: () => {
        const fields: GraphQLFieldConfigMap<unknown, unknown> = {}
        for (const p of ast.propertySignatures) {
          const key = String(p.name)
          fields[key] = this.fieldOf(p.type, `${name}_${key}`, key, p.isOptional)
        }
        return fields
      }
    })
    this.objects.set(name, type)
    return { type, nullable: false }
  }
}
