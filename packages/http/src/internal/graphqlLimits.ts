/**
 * The bounds a GraphQL query must keep before it is validated or run, so that a hostile query is
 * refused in time proportional to its (bounded) text, never by a stalled server:
 *
 * - its text: at most {@link Limits.maxLength} characters and {@link Limits.maxTokens} tokens
 *   (the parser stops at the limit);
 * - its **depth**: the deepest selection, fragments followed (a fragment that includes itself is
 *   left to the validation, which refuses it);
 * - its **cost**: every field selected costs 1, a field in `weights` its weight (the history and
 *   analytics queries read the store); fragment spreads are costed once per fragment and
 *   multiplied, so a "fragment bomb" (each fragment spreading the next twice) is computed in
 *   linear time and refused for its exponential cost.
 */
import { type DocumentNode, type FragmentDefinitionNode, Kind, type OperationDefinitionNode, type SelectionSetNode } from "graphql"

/** The bounds. */
export interface Limits {
  readonly maxLength: number
  readonly maxTokens: number
  readonly maxDepth: number
  readonly maxCost: number
}

/** The defaults: 10 000 characters, 2 000 tokens, depth 15 (the standard introspection query is 15 deep), cost 1 000. */
export const defaults: Limits = { maxLength: 10_000, maxTokens: 2_000, maxDepth: 15, maxCost: 1_000 }

/** Depth and cost of a document's operation(s). */
export interface Measure {
  readonly depth: number
  readonly cost: number
}

/** Measures `document` (every operation, or the one named `operationName`); `weights` by root field name. */
export const measure = (document: DocumentNode, weights: Readonly<Record<string, number>>, operationName?: string | null): Measure => {
  const fragments = new Map<string, FragmentDefinitionNode>()
  const operations: Array<OperationDefinitionNode> = []
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d)
    else if (d.kind === Kind.OPERATION_DEFINITION && (operationName == null || d.name?.value === operationName)) operations.push(d)
  }
  const memo = new Map<string, Measure>()
  const visiting = new Set<string>()

  const ofSet = (set: SelectionSetNode, root: boolean): Measure => {
    let depth = 0
    let cost = 0
    for (const s of set.selections) {
      let m: Measure
      if (s.kind === Kind.FIELD) {
        const inner = s.selectionSet === undefined ? { depth: 0, cost: 0 } : ofSet(s.selectionSet, false)
        m = { depth: inner.depth + 1, cost: inner.cost + (root ? weights[s.name.value] ?? 1 : 1) }
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        m = ofSet(s.selectionSet, root)
      } else {
        m = ofFragment(s.name.value, root)
      }
      depth = Math.max(depth, m.depth)
      cost += m.cost
    }
    return { depth, cost }
  }

  const ofFragment = (name: string, root: boolean): Measure => {
    const key = `${root ? "root:" : ""}${name}`
    const known = memo.get(key)
    if (known !== undefined) return known
    const fragment = fragments.get(name)
    if (fragment === undefined || visiting.has(key)) return { depth: 0, cost: 0 }
    visiting.add(key)
    const m = ofSet(fragment.selectionSet, root)
    visiting.delete(key)
    memo.set(key, m)
    return m
  }

  return operations.reduce<Measure>((acc, op) => {
    const m = ofSet(op.selectionSet, true)
    return { depth: Math.max(acc.depth, m.depth), cost: acc.cost + m.cost }
  }, { depth: 0, cost: 0 })
}
