// Builds the dashboard to dist/: the page (index.html) and its assets under assets/ with content
// hashes in their names (served immutable; the page itself is served no-cache). One esbuild
// bundle (TypeScript, uPlot and the CSS), minified, with source maps. `node build.mjs [outdir]`.
import { build } from "esbuild"
import { mkdir, readFile, rm, writeFile } from "node:fs/promises"
import { basename, dirname, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const outdir = process.argv[2] ?? join(here, "dist")
const started = performance.now()

await rm(outdir, { recursive: true, force: true })
await mkdir(outdir, { recursive: true })
const result = await build({
  entryPoints: [join(here, "src/main.ts")],
  bundle: true,
  format: "esm",
  target: ["es2022"],
  minify: true,
  sourcemap: "linked",
  entryNames: "assets/[name]-[hash]",
  outdir,
  metafile: true,
  logLevel: "warning"
})
const outputs = Object.keys(result.metafile.outputs).map((p) => relative(outdir, p))
const js = outputs.find((p) => p.endsWith(".js"))
const css = outputs.find((p) => p.endsWith(".css"))
if (js === undefined || css === undefined) throw new Error(`dashboard build: expected a .js and a .css, got ${outputs.join(", ")}`)
const page = (await readFile(join(here, "src/index.html"), "utf8")).replace("{{js}}", `/${js}`).replace("{{css}}", `/${css}`)
await writeFile(join(outdir, "index.html"), page)
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
console.log(`dashboard built in ${Math.round(performance.now() - started)} ms: ${basename(js)}, ${basename(css)} (${Math.round(bytes / 1024)} KiB with maps) → ${outdir}`)
