// The `commits` part of the repository config: how Stamina's commits reach GitHub.
import { z } from "zod";

export const commitsSchema = z
  .strictObject(
    {
      signed: z
        .boolean({ error: "must be true or false" })
        .default(true)
        .describe(
          "true (the default): GitHub makes Stamina's commits through its API, signed and shown as Verified, so a ruleset that requires signed commits lets them in; the person who asked is credited as co-author. false: Stamina pushes its own commits with `git push`, unsigned.",
        ),
    },
    { error: "must be a mapping such as `signed: false`" },
  )
  .default(() => ({ signed: true }))
  .describe("How Stamina's commits reach the branch.");
