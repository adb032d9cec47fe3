// The run pages' settings, read with the rest of the environment: STAMINA_PAGES_LOCAL, which
// serves the pages without GitHub sign-in to this machine's own browser, and only to it.
import { z } from "zod";

/** The variables, merged into the settings' environment schema. */
export const pagesEnv = {
  STAMINA_PAGES_LOCAL: z
    .enum(["true", "false"], {
      error:
        "must be true (serve the run pages to loopback peers without sign-in) or false (the default)",
    })
    .default("false"),
};

export interface PagesSettings {
  /**
   * The pages answer loopback peers without sign-in, and never a request that came through a
   * proxy (it carries Forwarded or X-Forwarded-For). False: without sign-in they answer no one.
   */
  local: boolean;
}

export function readPagesSettings(e: z.output<z.ZodObject<typeof pagesEnv>>): PagesSettings {
  return { local: e.STAMINA_PAGES_LOCAL === "true" };
}
