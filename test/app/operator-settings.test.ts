// A maintainer's label is not lost to the operators' settings: with a private key that does not
// parse, the real signed issues.labeled is acknowledged and stored, but kept unhandled; the
// operators are told once, at error level, naming PRIVATE_KEY; and once Stamina starts again
// with the app's key, the kept delivery is handled and its run queued.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replayUnhandled } from "../../src/app/app.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { APP_PUBLIC_KEY, startApp } from "../support/app-harness.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { labeledIssuePayload, waitFor } from "../support/webhooks.ts";

const ORG = "octo-org";
const REPO = "app";
/** One line of a PEM as an admin might paste it: the armour right, the body not a key. */
const MALFORMED =
  "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAnot-a-key-at-all\n-----END RSA PRIVATE KEY-----\n";

let github: FakeGitHub;
let store: Store;
const dir = mkdtempSync(join(tmpdir(), "stamina-operator-"));

beforeAll(async () => {
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
  github.addInstallation(1, ORG);
  await github.createRepository({
    owner: ORG,
    name: REPO,
    installationId: 1,
    files: { "README.md": "# app\n" },
  });
  github.setPermission(ORG, REPO, "maintainer", "write");
  store = await openStore({ sqlitePath: join(dir, "stamina.db"), redactor: createRedactor() });
});
afterAll(async () => {
  await store.close();
  await github.close();
  rmSync(dir, { recursive: true, force: true });
});

const labeled = (issue: number) =>
  labeledIssuePayload({ owner: ORG, repo: REPO, issue, title: "Fix it", installationId: 1 });

describe("a delivery that fails for the operators' settings", () => {
  it("is kept unhandled, told once naming PRIVATE_KEY, and handled once the key is fixed", async () => {
    const broken = await startApp({ apiUrl: github.apiUrl, store, privateKey: MALFORMED });
    try {
      const first = await broken.deliver("issues", labeled(1), "delivery-kept-1");
      const second = await broken.deliver("issues", labeled(2), "delivery-kept-2");
      expect([first.status, second.status]).toEqual([202, 202]);
      await waitFor(
        () => broken.logLines.find((l) => l.deliveryId === "delivery-kept-2" && l.level === 40),
        "the second kept delivery's warning",
      );
      const errors = broken.logLines.filter((l) => (l.level as number) >= 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ setting: "PRIVATE_KEY", deliveryId: "delivery-kept-1" });
      expect(String(errors[0]?.msg)).toMatch(
        /private key cannot be read .*Deliveries are kept, not lost: fix PRIVATE_KEY, check it with `stamina doctor`, and restart Stamina/,
      );
      // Stored, not handled, nothing queued.
      expect(await store.deliveries.outcome("delivery-kept-1")).toBeNull();
      expect(await store.deliveries.outcome("delivery-kept-2")).toBeNull();
      expect(await store.runs.list({})).toHaveLength(0);
    } finally {
      await broken.close();
    }

    // The operators fix the key and start again: the kept deliveries are handled, once.
    const fixed = await startApp({ apiUrl: github.apiUrl, store });
    try {
      expect(await replayUnhandled(fixed.probot, { store, log: fixed.log })).toBe(2);
      expect(await store.deliveries.outcome("delivery-kept-1")).toBe("ok");
      expect(await store.deliveries.outcome("delivery-kept-2")).toBe("ok");
      const runs = await store.runs.list({});
      expect(runs.map((r) => r.issueNumber).sort()).toEqual([1, 2]);
      expect(await replayUnhandled(fixed.probot, { store, log: fixed.log })).toBe(0);
    } finally {
      await fixed.close();
    }
  });
});
