// The repository's pull request template, honoured: found where GitHub looks
// for one (`.github/`, the root, `docs/`; any case; `.md`, `.txt` or no
// extension), read from the commit the run started from (the agent's edits
// do not count), and merged with Stamina's sections: each of the template's
// sections is kept in its place, with ours filled in under the heading that
// asks for it; ours that no heading asks for follow at the end.
import { runGit } from "../workspace/git.ts";

const NAME = /^pull_request_template(\.md|\.txt)?$/i;
const DIRS = [".github", "", "docs"];
/** A template longer than this is kept out: the timeline needs the room. */
const TEMPLATE_MAX = 8_000;

type SectionKind = "summary" | "issue" | "changes" | "verification";

/** Our sections, in our order, each Markdown without its heading. */
export type OurSections = Array<{
  kind: SectionKind | "budget" | "audit";
  title: string;
  body: string;
}>;

const ASKS: Array<[SectionKind, RegExp]> = [
  ["issue", /\b(issues?|tickets?|fix(es)?|closes|related)\b/i],
  ["verification", /\b(test(s|ing|ed)?|verif\w*|qa|validation|checks?)\b/i],
  ["changes", /\b(changes?|changed|implementation|how)\b/i],
  ["summary", /\b(summary|description|describe|overview|motivation|context|why|about|what)\b/i],
];

export async function findTemplate(cwd: string, commit: string): Promise<string | null> {
  const { stdout } = await runGit(
    ["ls-tree", "-r", "--name-only", "-z", commit, "--", ".github", "docs"],
    { cwd },
  );
  const root = await runGit(["ls-tree", "--name-only", "-z", commit], { cwd });
  const paths = [...stdout.split("\0"), ...root.stdout.split("\0")].filter(Boolean);
  for (const dir of DIRS) {
    const found = paths.find((p) => {
      const slash = p.lastIndexOf("/");
      const parent = slash === -1 ? "" : p.slice(0, slash);
      return parent.toLowerCase() === dir && NAME.test(p.slice(slash + 1));
    });
    if (found === undefined) continue;
    const { stdout: text } = await runGit(["show", `${commit}:${found}`], { cwd });
    return text.length > TEMPLATE_MAX ? null : text.replace(/\r\n?/g, "\n");
  }
  return null;
}

/** The template's sections with ours filled in; without a template, ours under our headings. */
export function mergeTemplate(template: string | null, ours: OurSections): string {
  const plain = (s: OurSections[number]) => (s.title ? `## ${s.title}\n\n${s.body}` : s.body);
  if (template === null || template.trim() === "") return ours.map(plain).join("\n\n");
  const used = new Set<string>();
  const out: string[] = [];
  for (const line of template.split("\n")) {
    out.push(line);
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const kind = ASKS.find(([k, asks]) => !used.has(k) && asks.test(heading[1]!))?.[0];
    const section = kind && ours.find((s) => s.kind === kind);
    if (!kind || !section) continue;
    used.add(kind);
    out.push("", section.body, "");
  }
  const rest = ours.filter((s) => !used.has(s.kind));
  // An issue reference no heading asks for goes first, where readers look for it.
  const first = rest.filter((s) => s.kind === "issue").map(plain);
  const last = rest.filter((s) => s.kind !== "issue").map(plain);
  return [...first, out.join("\n").trim(), ...last].join("\n\n");
}
