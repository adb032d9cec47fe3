// The app's slug, the name people mention it by on GitHub (`@slug`, `@slug[bot]`): GitHub's own
// answer to `GET /app` with the app's JWT, asked the first time a comment needs it and kept for
// an hour, so a renamed app is known again without a restart. Not a setting: the slug is
// GitHub's fact (it follows the app's name), and a setting that disagreed with it would make
// every mention go unheard without an error to say why.

/** How long the slug GitHub gave is trusted before it is asked again. */
const SLUG_TTL_MS = 60 * 60_000;

type AppRequest = (route: "GET /app") => Promise<{ data: unknown }>;

export function createAppSlug(request: AppRequest, now: () => number): () => Promise<string> {
  let known: { slug: Promise<string>; until: number } | undefined;
  const ask = async (): Promise<string> => {
    const { data } = await request("GET /app");
    const slug = (data as { slug?: unknown } | null)?.slug;
    if (typeof slug !== "string" || !/^[a-z0-9][a-z0-9-]*$/i.test(slug)) {
      throw new Error(
        `GitHub's GET /app gave no slug Stamina can read (${JSON.stringify(slug)}), so it cannot tell which comments mention the app`,
      );
    }
    return slug;
  };
  return () => {
    if (known === undefined || now() >= known.until) {
      const slug = ask();
      const entry = { slug, until: now() + SLUG_TTL_MS };
      known = entry;
      // A failed answer is asked again next time, not kept.
      slug.catch(() => {
        if (known === entry) known = undefined;
      });
    }
    return known.slug;
  };
}
