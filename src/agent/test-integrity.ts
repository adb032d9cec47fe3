// Does the change weaken the tests? Read from the diff alone, the way a
// reviewer skims it: a test file deleted, fewer test cases, fewer assertions,
// or tests skipped or focused. Commented-out code counts as removed. It is a
// heuristic across languages (JS/TS, Python, Go, Java/Kotlin, Rust, Ruby),
// tuned to flag rather than to miss: a person reads the flag, not a machine.

type WeakeningKind = "deleted_file" | "fewer_tests" | "fewer_assertions" | "skipped";

export interface TestWeakening {
  path: string;
  kind: WeakeningKind;
  /** In words: "2 assertions removed (5 before, 3 after)". */
  detail: string;
}

const TEST_PATHS = [
  /(^|\/)(tests?|__tests__|specs?|testing)\//i,
  /\.(test|spec)\.[cm]?[jt]sx?$/i,
  /(^|\/)test_[^/]*\.py$/,
  /_test\.(py|go|rs|exs|dart|cc|cpp)$/,
  /_spec\.rb$/,
  /Tests?\.(java|kt|cs|scala|swift)$/,
];

/** A path a test suite's files live at, by the usual conventions of each language. */
export function isTestPath(path: string): boolean {
  return TEST_PATHS.some((p) => p.test(path));
}

const CASE =
  /\b(it|test|specify)(\.(skip|only|todo|concurrent))?(\.each\s*\(.*?\))?\s*\(|\bdef\s+test\w*\s*\(|\bfunc\s+Test\w*\s*\(|@(Test|ParameterizedTest)\b|#\[(tokio::)?test\]|^\s*(it|test|scenario)\s+["']/g;
const ASSERTION =
  /\b(expect|assert\w*)\s*[(!.{]|\bassert\s+[^\s=(]|\.should\b|\bt\.(Error|Errorf|Fatal|Fatalf|Fail|FailNow)\s*\(|\brequire\.\w+\s*\(|\bself\.assert\w*\s*\(|\bmust_\w+/g;
const SKIP =
  /\b(it|test|describe|context|suite)\.(skip|todo|only)\b|\bx(it|test|describe|context)\s*\(|\bf(it|describe)\s*\(|@pytest\.mark\.(skip|skipif|xfail)\b|@unittest\.skip\w*|\bpytest\.skip\s*\(|\bt\.Skip(Now|f)?\s*\(|@(Disabled|Ignore)\b|#\[ignore\]|^\s*(skip|pending)\b/g;

interface Tally {
  cases: number;
  assertions: number;
  skips: number;
}

interface FileDiff {
  path: string;
  deleted: boolean;
  removed: Tally;
  added: Tally;
}

/** The weakenings a unified diff (`git diff` output) makes to test files. */
export function findTestWeakening(diff: string): TestWeakening[] {
  const flags: TestWeakening[] = [];
  for (const file of parseDiff(diff)) {
    if (!isTestPath(file.path)) continue;
    const { removed: r, added: a } = file;
    if (file.deleted) {
      flags.push({
        path: file.path,
        kind: "deleted_file",
        detail: `test file deleted (${plural(r.cases, "test case")}, ${plural(r.assertions, "assertion")})`,
      });
      continue;
    }
    if (r.cases > a.cases) {
      flags.push({
        path: file.path,
        kind: "fewer_tests",
        detail: `${plural(r.cases - a.cases, "test case")} removed`,
      });
    }
    if (r.assertions > a.assertions) {
      flags.push({
        path: file.path,
        kind: "fewer_assertions",
        detail: `${plural(r.assertions - a.assertions, "assertion")} removed`,
      });
    }
    if (a.skips > r.skips) {
      flags.push({
        path: file.path,
        kind: "skipped",
        detail: `${plural(a.skips - r.skips, "test")} skipped or focused (skip, todo, only, x-prefixed)`,
      });
    }
  }
  return flags;
}

/** One line per flag, for the pull request, the CLI and the review prompt. */
export function describeTestWeakening(flags: readonly TestWeakening[]): string[] {
  return flags.map((f) => `\`${f.path}\`: ${f.detail}`);
}

function parseDiff(diff: string): FileDiff[] {
  const files: FileDiff[] = [];
  let current: FileDiff | undefined;
  for (const line of diff.split("\n")) {
    if (line.startsWith("diff --git ")) {
      // `diff --git a/PATH b/PATH`; the b side names the file after the change.
      const match = / b\/(.*)$/.exec(line);
      current = {
        path: match?.[1] ?? line,
        deleted: false,
        removed: { cases: 0, assertions: 0, skips: 0 },
        added: { cases: 0, assertions: 0, skips: 0 },
      };
      files.push(current);
      continue;
    }
    if (current === undefined) continue;
    if (line.startsWith("deleted file mode")) current.deleted = true;
    else if (line.startsWith("rename to ")) current.path = line.slice("rename to ".length);
    else if (line.startsWith("--- ") || line.startsWith("+++ ")) continue;
    else if (isComment(line.slice(1))) continue;
    else if (line.startsWith("-")) count(current.removed, line.slice(1));
    else if (line.startsWith("+")) count(current.added, line.slice(1));
  }
  return files;
}

function count(tally: Tally, code: string): void {
  tally.cases += code.match(CASE)?.length ?? 0;
  tally.assertions += code.match(ASSERTION)?.length ?? 0;
  tally.skips += code.match(SKIP)?.length ?? 0;
}

/** Comments hold no test: an assertion commented out is one removed, and deleting a comment is nothing. */
function isComment(code: string): boolean {
  return /^\s*(\/\/|#(?!\[)|\/\*|\*|--|;)/.test(code);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
