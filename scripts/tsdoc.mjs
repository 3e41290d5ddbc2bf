#!/usr/bin/env node
// Every public export has its TSDoc (issue 17): each `export const|function|class|interface|type|enum`
// declared in a package's src/ (outside internal/) must be preceded by a `/** … */` comment.
// Re-exports (`export * from`, `export { … } from`) carry the doc of what they re-export.
// Usage: node scripts/tsdoc.mjs   (exits 1 and lists what lacks a comment)
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"

const root = new URL("..", import.meta.url).pathname
const files = []
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) {
      if (name !== "internal" && name !== "node_modules" && name !== "dist") walk(path)
    } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) files.push(path)
  }
}
for (const pkg of readdirSync(join(root, "packages"))) {
  try {
    walk(join(root, "packages", pkg, "src"))
  } catch {}
}
const declaration = /^export\s+(?:declare\s+)?(?:abstract\s+)?(?:const|let|function\*?|async\s+function|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/
const missing = []
for (const file of files) {
  const lines = readFileSync(file, "utf8").split("\n")
  lines.forEach((line, i) => {
    const m = declaration.exec(line)
    if (m === null) return
    let j = i - 1
    while (j >= 0 && lines[j].trim() === "") j--
    const previous = j >= 0 ? lines[j].trim() : ""
    if (!previous.endsWith("*/")) missing.push(`${relative(root, file)}:${i + 1} ${m[1]}`)
  })
}
if (missing.length > 0) {
  console.error(`${missing.length} public export(s) without a TSDoc comment:`)
  for (const m of missing) console.error(`  ${m}`)
  process.exit(1)
}
console.log(`tsdoc: every public export of ${files.length} files has its comment`)
