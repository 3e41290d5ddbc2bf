// The service as one esbuild bundle, for `pnpm start` (scripts/start.mjs): `packages/http/dist/main.js`
// and what it imports, tree-shaken and minified into `packages/http/dist/bundle/` (split at the
// dynamic imports, so what is loaded lazily stays lazy). Node then loads a few chunks instead of
// some 1 100 modules — the indexes of `effect` (with fast-check) and kysely whole — which keeps
// about 15 MB less in memory (BENCHMARKS.md, "Issue 16 — memory").
//
// Native and file-reading packages stay outside (better-sqlite3, pdfkit, pg's optional pg-native),
// imported from where the package that depends on them finds them (by name, for a deployed copy:
// `node scripts/bundle.mjs <outdir>`). esbuild is the one tsx brings
// (a root devDependency). `bundle()` answers the entry to run, or undefined when it cannot bundle
// (the caller then runs dist/main.js).
import { existsSync, readdirSync, statSync } from "node:fs"
import { createRequire } from "node:module"
import { join, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const EXTERNAL = /^(better-sqlite3|pdfkit|pg-native)$/

/** The newest tsbuildinfo of the packages (what tsc -b wrote last), in ms. */
const newestBuild = (root) => {
  let t = 0
  for (const dir of readdirSync(join(root, "packages"))) {
    const info = join(root, "packages", dir, "dist", ".tsbuildinfo")
    if (existsSync(info)) t = Math.max(t, statSync(info).mtimeMs)
  }
  return t
}

/**
 * Bundles the service when its bundle is missing or older than the build; answers its entry.
 * `outdir` elsewhere, with `externalsByName`, is for a deployed copy (the Dockerfile): the
 * external packages are then imported by name, to be found in its node_modules.
 */
export const bundle = async (root, { outdir = join(root, "packages/http/dist/bundle"), externalsByName = false } = {}) => {
  const entry = join(outdir, "main.js")
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestBuild(root)) return entry
  let esbuild
  try {
    const fromTsx = createRequire(createRequire(join(root, "package.json")).resolve("tsx/package.json"))
    const loaded = await import(fromTsx.resolve("esbuild"))
    esbuild = typeof loaded.build === "function" ? loaded : loaded.default
  } catch {
    return undefined
  }
  const started = performance.now()
  await esbuild.build({
    entryPoints: { main: join(root, "packages/http/dist/main.js") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: true,
    // Read only with node --enable-source-maps (traces into the TypeScript sources).
    sourcemap: true,
    logLevel: "warning",
    // CommonJS packages inside the bundle may call require().
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    plugins: [
      {
        name: "external-where-found",
        setup(build) {
          build.onResolve({ filter: EXTERNAL }, (args) => {
            if (externalsByName) return { path: args.path, external: true }
            try {
              return { path: createRequire(join(args.resolveDir, "_.js")).resolve(args.path), external: true }
            } catch {
              return { path: args.path, external: true }
            }
          })
        }
      }
    ]
  })
  console.log(`portfolio-intelligence: bundled in ${Math.round(performance.now() - started)} ms`)
  return entry
}

// `node scripts/bundle.mjs <outdir>`: the bundle into <outdir>, externals imported by name.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outdir = process.argv[2]
  if (outdir === undefined) throw new Error("usage: node scripts/bundle.mjs <outdir>")
  const root = fileURLToPath(new URL("..", import.meta.url))
  if ((await bundle(root, { outdir: resolve(outdir), externalsByName: true })) === undefined) throw new Error("esbuild not found (tsx's)")
}
