import { defineProject, mergeConfig, type UserWorkspaceConfig } from "vitest/config"

/**
 * The settings every package's tests share: workspace packages resolve to their TypeScript
 * sources (the `source` export condition), so tests never need a build first.
 */
export const sharedProject = (name: string, extra: UserWorkspaceConfig = {}) =>
  mergeConfig(
    defineProject({
      resolve: { conditions: ["source"] },
      ssr: { resolve: { conditions: ["source"] } },
      test: {
        name,
        include: ["test/**/*.test.ts"],
        testTimeout: 30_000,
        hookTimeout: 60_000
      }
    }),
    extra
  )
