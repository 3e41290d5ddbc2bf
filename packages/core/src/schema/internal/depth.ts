/**
 * Nesting bounds checked without recursion, before any schema or formatter (which recurse)
 * sees a value: a payload nested 100 000 levels deep is refused in time linear in what is read
 * up to the bound, never with a stack overflow. Internal: see `decodeEnvelope`.
 */

/**
 * Whether a JSON text opens more than `max` arrays or objects inside one another. Brackets
 * inside strings do not count. Reads the text once, and stops at the first bracket past `max`.
 * Text that is not JSON gives some answer; `JSON.parse` refuses it anyway.
 */
export const jsonTextDeeperThan = (text: string, max: number): boolean => {
  // Nesting needs as many opening brackets as levels: most payloads hold one or two, which
  // `indexOf` counts far faster than a loop over every character.
  let brackets = 0
  for (let i = text.indexOf("{"); i !== -1 && brackets <= max; i = text.indexOf("{", i + 1)) brackets++
  for (let i = text.indexOf("["); i !== -1 && brackets <= max; i = text.indexOf("[", i + 1)) brackets++
  if (brackets <= max) return false
  let depth = 0
  const length = text.length
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c === 34) {
      // A string: skip to its closing quote, past escaped characters.
      for (i++; i < length; i++) {
        const s = text.charCodeAt(i)
        if (s === 92) i++
        else if (s === 34) break
      }
    } else if (c === 123 || c === 91) {
      if (++depth > max) return true
    } else if (c === 125 || c === 93) {
      depth--
    }
  }
  return false
}

/** What {@link nestingOf} finds wrong with a value. */
export type Nesting = "deep" | "large" | undefined

/**
 * Whether a value (itself level 1 when it is an array or object) nests arrays and objects more
 * than `maxDepth` levels deep (`"deep"`), or holds more than `maxValues` values in all
 * (`"large"`: a JSON text holds fewer values than characters, but a value built in code may
 * share one object many times over, or be a sparse array of a billion slots), else `undefined`.
 * A cycle is infinitely deep. Depth first, with a stack of its own.
 */
export const nestingOf = (value: unknown, maxDepth: number, maxValues: number): Nesting => {
  if (typeof value !== "object" || value === null) return undefined
  const stack: Array<object> = [value]
  const depths: Array<number> = [1]
  let values = 0
  while (stack.length > 0) {
    const node = stack.pop()!
    const depth = depths.pop()!
    if (depth > maxDepth) return "deep"
    if (Array.isArray(node)) {
      if ((values += node.length) > maxValues) return "large"
      for (let i = 0; i < node.length; i++) {
        const child: unknown = node[i]
        if (typeof child === "object" && child !== null) {
          stack.push(child)
          depths.push(depth + 1)
        }
      }
    } else {
      const keys = Object.keys(node)
      if ((values += keys.length) > maxValues) return "large"
      for (const key of keys) {
        const child: unknown = (node as Record<string, unknown>)[key]
        if (typeof child === "object" && child !== null) {
          stack.push(child)
          depths.push(depth + 1)
        }
      }
    }
  }
  return undefined
}

/** The message of a {@link Nesting} fault. */
export const nestingMessage = (fault: "deep" | "large", maxDepth: number, maxValues: number): string =>
  fault === "deep" ? `nested deeper than ${maxDepth} levels` : `holds more than ${maxValues} values`
