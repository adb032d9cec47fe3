// vitest's globalSetup: before any test, what this machine lacks that some test files need
// (bubblewrap, socat, ripgrep, curl, ssh-keygen, chromium, the PostgreSQL server), one line each on stderr: the tool,
// how to install it, what happens to the files that need it, and which files they are. Nothing
// is printed when all is there. It changes nothing and fails nothing: the tests themselves skip
// with the reason in their title, or fail where they cannot run without it (always in CI).
// The files are found by what their text uses (the markers below), so a new test file that
// starts a bubblewrap sandbox or a PostgreSQL database is listed without being named here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { findExecutable } from "../../src/sandbox/env.ts";
import { probeSandbox } from "../../src/sandbox/sandbox.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const SKIPPED = "skipped, saying why (failing under CI=true)";

interface Need {
  /** Why it is missing here, with how to install it; null when present. */
  missing(): Promise<string | null>;
  /** What the test files that need it do without it. */
  without: string;
  /** Marks a test file that needs it. */
  marker: RegExp;
}

const program = (name: string, pkg: string) => () =>
  Promise.resolve(
    findExecutable(name) === null ? `${name} is not installed (apt-get install -y ${pkg})` : null,
  );

const NEEDS: Need[] = [
  {
    missing: async () =>
      (await program("bwrap", "bubblewrap")()) ??
      (await program("socat", "socat")()) ??
      sandboxProblem(),
    without: `fail or are ${SKIPPED}`,
    marker: /(kind|sandbox|STAMINA_SANDBOX): "bubblewrap"|probeSandbox\(|bubblewrap starts/,
  },
  {
    missing: program("rg", "ripgrep"),
    without: `have their ripgrep cases ${SKIPPED}`,
    marker: /ripgrepMissing\(/,
  },
  { missing: program("curl", "curl"), without: "fail", marker: /\bcurl -s/ },
  {
    missing: program("ssh-keygen", "openssh-client"),
    without: `are ${SKIPPED}`,
    marker: /programMissing\("ssh-keygen"/,
  },
  { missing: postgresProblem, without: "fail", marker: /createTestDatabase\(/ },
  {
    missing: () =>
      Promise.resolve(
        existsSync("/usr/bin/chromium")
          ? null
          : "chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
      ),
    without: `are ${SKIPPED}`,
    marker: /launchBrowser\(/,
  },
];

function sandboxProblem(): string | null {
  const probe = probeSandbox();
  return probe.ok ? null : `bubblewrap cannot start a sandbox here: ${probe.reason}`;
}

async function postgresProblem(): Promise<string | null> {
  const url = process.env.STAMINA_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return null;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return (
      `PostgreSQL does not answer at ${new URL(url).host} (${why}); apt-get install -y postgresql, ` +
      "with trust for 127.0.0.1 and a database named test (bash .ci/run sets both up), or set " +
      "STAMINA_TEST_POSTGRES_URL"
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The lines saying what is missing, one per tool; none when all is there. */
export async function preflight(): Promise<string[]> {
  const found = await Promise.all(NEEDS.map((need) => need.missing()));
  if (found.every((missing) => missing === null)) return [];
  const files = testFiles(join(root, "test")).map((path) => ({
    name: relative(root, path),
    text: readFileSync(path, "utf8"),
  }));
  return NEEDS.flatMap((need, i) => {
    const missing = found[i];
    if (missing === null || missing === undefined) return [];
    const needing = files.filter((f) => need.marker.test(f.text)).map((f) => f.name);
    return [
      `missing: ${missing}: ${needing.length} test files ${need.without}: ${needing.join(", ")}`,
    ];
  });
}

export default async function setup(): Promise<void> {
  for (const line of await preflight()) process.stderr.write(`${line}\n`);
}
