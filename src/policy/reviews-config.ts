// The `reviews` part of the repository config: which comments on Stamina's pull requests start a
// round of answers. Reviews and review comments are for Stamina always; `conversation` says
// which comments on the pull request's conversation are.
import { z } from "zod";

export const reviewsSchema = z
  .strictObject(
    {
      conversation: z
        .enum(["mention", "all"], { error: "must be `mention` or `all`" })
        .default("mention")
        .describe(
          "Which writers' comments on the conversation of Stamina's pull request start a round: `mention`, only those that mention the app (`@slug` or `@slug[bot]`, outside code and quotes), so people can talk to each other there; `all`, every one. Reviews, review comments, `/stamina` commands and the answer to a question Stamina asked are heard either way.",
        ),
    },
    { error: "must be a mapping such as `conversation: mention`" },
  )
  .default(() => ({ conversation: "mention" as const }))
  .describe(
    "Which comments on Stamina's pull requests start a round of answers: every review and review comment, and the comments on the conversation `conversation` says.",
  );
