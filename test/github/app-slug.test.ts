// The app's slug, asked of GitHub (`GET /app`) when first needed: kept an hour, asked again after
// a failure, and refused in words when GitHub's answer holds none.
import { describe, expect, it } from "vitest";
import { createAppSlug } from "../../src/github/app-slug.ts";

/** `GET /app` as GitHub answers it, one answer after another; the routes asked, in order. */
function gitHub(answers: Array<unknown>) {
  const asked: string[] = [];
  const request = (route: "GET /app") => {
    asked.push(route);
    const next = answers.shift();
    return next instanceof Error ? Promise.reject(next) : Promise.resolve({ data: next });
  };
  return { asked, request };
}

describe("the app's slug", () => {
  it("is asked once, shared by callers at the same time, and asked again after an hour", async () => {
    let clock = 0;
    const github = gitHub([{ slug: "stamina" }, { slug: "stamina-dev" }]);
    const slug = createAppSlug(github.request, () => clock);
    expect(await Promise.all([slug(), slug()])).toEqual(["stamina", "stamina"]);
    clock += 59 * 60_000;
    expect(await slug()).toBe("stamina");
    expect(github.asked).toEqual(["GET /app"]);
    clock += 60_000;
    expect(await slug()).toBe("stamina-dev");
    expect(github.asked).toHaveLength(2);
  });

  it("is asked again after GitHub failed to answer", async () => {
    const github = gitHub([new Error("GitHub is down"), { slug: "stamina" }]);
    const slug = createAppSlug(github.request, () => 0);
    await expect(slug()).rejects.toThrow("GitHub is down");
    expect(await slug()).toBe("stamina");
  });

  it("is refused in words when GitHub gives none", async () => {
    const slug = createAppSlug(gitHub([{ name: "Stamina" }, { slug: "" }]).request, () => 0);
    await expect(slug()).rejects.toThrow(
      "GitHub's GET /app gave no slug Stamina can read (undefined), so it cannot tell which comments mention the app",
    );
    await expect(slug()).rejects.toThrow('(""),');
  });
});
