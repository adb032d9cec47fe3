// The secret scan before a push: each credential shape is found in the lines
// a diff adds, with the file and the new line number; context, removed lines
// and ordinary code are not findings; the report never holds the value.
import { describe, expect, it } from "vitest";
import { describeFindings, scanDiff, scanLine } from "../../src/policy/secret-scan.ts";

const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

describe("scanLine", () => {
  it.each([
    ["GitHub token", `token = "ghs_${"a1B2".repeat(9)}"`],
    ["GitHub token", `export GH=ghp_${"Z9y8".repeat(10)}`],
    ["GitHub fine-grained token", `github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz`],
    ["Anthropic API key", `ANTHROPIC_API_KEY=sk-ant-api03-${"x1Y2z3".repeat(5)}`],
    ["AWS access key id", `aws_access_key_id = AKIAIOSFODNN7EXAMPLE`],
    ["AWS secret access key", `aws_secret_access_key = ${AWS_SECRET}`],
    ["private key", "-----BEGIN OPENSSH PRIVATE KEY-----"],
    ["private key", "-----BEGIN RSA PRIVATE KEY-----"],
    ["private key", "-----BEGIN PRIVATE KEY-----"],
    ["high-entropy value assigned to a secret name", `const apiKey = "Zx8vQ2mN4pL7rT1wK9sB3dF6";`],
    ["high-entropy value assigned to a secret name", `client_secret: 'q7W2e9R4t1Y8u3I6o5P0aS2d'`],
  ])("finds a %s", (kind, line) => {
    expect(scanLine(line)).toContain(kind);
  });

  it.each([
    `const token = process.env.GITHUB_TOKEN;`,
    `password: "changeme-changeme-changeme"`,
    `const apiKey = "\${API_KEY_FROM_THE_ENVIRONMENT}";`,
    `secret = "xxxxxxxxxxxxxxxxxxxxxxxx"`,
    `const tokenizer = new Tokenizer({ maxLength: 4096 });`,
    `authorName = "Grace Hopper and Ada Lovelace"`,
    `-----BEGIN PUBLIC KEY-----`,
    `const sha = "3f786850e387550fdab836ed7e6dc881de23001b";`,
  ])("leaves ordinary code alone: %s", (line) => {
    expect(scanLine(line)).toEqual([]);
  });
});

describe("scanDiff", () => {
  const token = `ghp_${"Q".repeat(36)}`;
  const diff = [
    "diff --git a/src/app.js b/src/app.js",
    "index 1111111..2222222 100644",
    "--- a/src/app.js",
    "+++ b/src/app.js",
    "@@ -10,0 +11,2 @@ function start() {",
    "+const a = 1;",
    `+const t = "${token}";`,
    "@@ -40 +42 @@",
    `-const old = "${token}";`,
    "+const key = process.env.KEY;",
    'diff --git "a/my keys.pem" "b/my keys.pem"',
    "new file mode 100644",
    "--- /dev/null",
    '+++ "b/my keys.pem"',
    "@@ -0,0 +1,3 @@",
    "+-----BEGIN EC PRIVATE KEY-----",
    "++++ a line that starts with pluses",
    "+-----END EC PRIVATE KEY-----",
    "diff --git a/gone.txt b/gone.txt",
    "deleted file mode 100644",
    "--- a/gone.txt",
    "+++ /dev/null",
    "@@ -1 +0,0 @@",
    `-${token}`,
  ].join("\n");

  it("names the file, the new line and the kind of each secret an added line holds", () => {
    expect(scanDiff(diff)).toEqual([
      { path: "src/app.js", line: 12, kind: "GitHub token" },
      { path: "my keys.pem", line: 1, kind: "private key" },
    ]);
  });

  it("describes findings without their values", () => {
    const text = describeFindings(scanDiff(diff));
    expect(text).toBe("GitHub token in `src/app.js` line 12; private key in `my keys.pem` line 1");
    expect(text).not.toContain(token);
  });
});
