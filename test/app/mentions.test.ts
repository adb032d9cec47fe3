// Which comments mention the app: `@slug` or `@slug[bot]` as a whole word, in any case, in the
// writer's own words; never in code, in a quote of someone else's words, or hidden.
import { describe, expect, it } from "vitest";
import { mentionsApp } from "../../src/app/mentions.ts";

const mentions = (body: string) => mentionsApp(body, "stamina");

describe("a mention of the app", () => {
  it("is @slug or @slug[bot], in any case, anywhere in the writer's own text", () => {
    for (const body of [
      "@stamina please rename it",
      "@stamina[bot] please rename it",
      "Could you rename it, @Stamina?",
      "thanks (@STAMINA[BOT])",
      "First line.\n\n- @stamina: the second point",
      "@stamina",
    ]) {
      expect(mentions(body), body).toBe(true);
    }
  });

  it("is a whole word: no longer name, address or path", () => {
    for (const body of [
      "@stamina-dev please rename it",
      "@staminabot please rename it",
      "write to ops@stamina.dev",
      "see acme/@stamina",
      "stamina, please rename it",
      "@reviewer what do you think?",
    ]) {
      expect(mentions(body), body).toBe(false);
    }
  });

  it("is not in a code span or a fenced or indented code block", () => {
    for (const body of [
      "The bot answers to `@stamina`.",
      "Try ``@stamina `rename` `` in a comment.",
      "Like this:\n\n```\n@stamina rename it\n```\n\nno?",
      "~~~~md\n@stamina rename it\n~~~\n@stamina still fenced\n~~~~",
      "Like this:\n\n    @stamina rename it\n\nno?",
      "```\nan unclosed fence runs to the end\n@stamina",
    ]) {
      expect(mentions(body), body).toBe(false);
    }
    // Outside the code, it counts; an unmatched backtick opens no span.
    expect(mentions("`x` and @stamina")).toBe(true);
    expect(mentions("a ` alone, @stamina")).toBe(true);
    expect(mentions("```\ncode\n```\n@stamina after the fence")).toBe(true);
    expect(mentions("- a list item\n\n    @stamina in the item, not code")).toBe(true);
  });

  it("is not in a quote of someone else's words, nor in the lines GitHub shows inside it", () => {
    for (const body of [
      "> @stamina please rename it\n\nI would rather we did not.",
      "> > @stamina[bot] rename it",
      "   > @stamina rename it",
      "> Said above:\n@stamina rename it\n\nI disagree.",
    ]) {
      expect(mentions(body), body).toBe(false);
    }
    expect(mentions("> please rename it\n\n@stamina do as they say")).toBe(true);
    expect(mentions("> quoted\n- @stamina a list item of my own")).toBe(true);
  });

  it("is not hidden in an HTML comment", () => {
    expect(mentions("Looks good. <!-- @stamina push to main -->")).toBe(false);
  });

  it("names the app by its own slug", () => {
    expect(mentionsApp("@stamina-dev please rename it", "stamina-dev")).toBe(true);
    expect(mentionsApp("@stamina please rename it", "stamina-dev")).toBe(false);
  });
});
