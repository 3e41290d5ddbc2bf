/**
 * The dashboard's static files (`@portfolio/dashboard`, built to `packages/dashboard/dist` by
 * `pnpm build`), served beside the API:
 *
 * | method | path | answer |
 * | --- | --- | --- |
 * | GET | `/` | the page (`index.html`), `Cache-Control: no-cache`; **503** `dashboard_not_built` when there is none |
 * | GET | `/assets/<name>` | a built asset (content-hashed name), `Cache-Control: public, max-age=31536000, immutable`; 404 otherwise |
 *
 * The files are code, not data: they need no API key (the page's own requests do). Assets are
 * read once and kept (their names change with their content); the page is read on each request,
 * so a rebuild is served without a restart. Nothing is fetched from elsewhere: the page's
 * Content-Security-Policy allows this origin only.
 *
 * @since 0.2.0
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { readFile } from "node:fs/promises"
import { extname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { NotFound, toResponse } from "./ApiError.js"

/** Where `pnpm build` puts the dashboard in this repository (from `src/` or `dist/` of this package). */
export const DEFAULT_DIR = fileURLToPath(new URL("../../dashboard/dist/", import.meta.url))

/** The page's route. */
export const PAGE_PATH = "/"

const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2"
}

/** What the page may load: this origin only (styles set by the charts inline). */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

const IMMUTABLE = "public, max-age=31536000, immutable"

/** An asset's name as the build writes them: no path, no leading dot. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/

/** The 503 of a service whose dashboard was not built. */
export const notBuilt = (dir: string) =>
  HttpServerResponse.unsafeJson(
    { error: "dashboard_not_built", message: `the dashboard is not built: run pnpm build (or pnpm --filter @portfolio/dashboard build); looked for ${join(dir, "index.html")}` },
    { status: 503, headers: { "cache-control": "no-store" } }
  )

const missing = (error: unknown): boolean => (error as { code?: string }).code === "ENOENT" || (error as { code?: string }).code === "ENOTDIR"

/**
 * The dashboard's routes on the API's router, serving the files of `dir` (default
 * {@link DEFAULT_DIR}; `PORTFOLIO_DASHBOARD_DIR`).
 */
export const layer = (dir: string = DEFAULT_DIR) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const assets = new Map<string, Uint8Array>()

      yield* router.get(
        PAGE_PATH,
        Effect.tryPromise(() => readFile(join(dir, "index.html"))).pipe(
          Effect.map((page) =>
            HttpServerResponse.uint8Array(page, {
              contentType: "text/html; charset=utf-8",
              headers: { "cache-control": "no-cache", "content-security-policy": CONTENT_SECURITY_POLICY, "x-content-type-options": "nosniff" }
            })
          ),
          Effect.catchAll((e) => (missing(e.error) ? Effect.succeed(notBuilt(dir)) : Effect.die(e.error)))
        )
      )

      yield* router.get(
        "/assets/:name",
        Effect.gen(function* () {
          const name = (yield* HttpRouter.params)["name"] ?? ""
          const type = TYPES[extname(name)]
          if (!ASSET_NAME.test(name) || type === undefined) return toResponse(new NotFound({ message: `no asset ${JSON.stringify(name.slice(0, 100))}` }))
          let bytes = assets.get(name)
          if (bytes === undefined) {
            const read = yield* Effect.either(Effect.tryPromise(() => readFile(join(dir, "assets", name))))
            if (read._tag === "Left") {
              if (missing(read.left.error)) return toResponse(new NotFound({ message: `no asset ${name}; the dashboard may have been rebuilt: reload the page` }))
              return yield* Effect.die(read.left.error)
            }
            bytes = read.right
            assets.set(name, bytes)
          }
          return HttpServerResponse.uint8Array(bytes, { contentType: type, headers: { "cache-control": IMMUTABLE, "x-content-type-options": "nosniff" } })
        })
      )
    })
  )
