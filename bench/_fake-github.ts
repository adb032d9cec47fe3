// The fake GitHub for the intake benchmark, in its own process so its work
// does not land on the app's event loop: the repository of GitHub's example
// payloads, with their sender as a writer. Prints its API URL as JSON.
import { startFakeGitHub } from "../test/support/fake-github/index.ts";

const publicKey = process.env.BENCH_APP_PUBLIC_KEY;
if (!publicKey) throw new Error("BENCH_APP_PUBLIC_KEY is not set");
const github = await startFakeGitHub({ appId: 1, appPublicKeyPem: publicKey });
github.addInstallation(1, "Codertocat");
await github.createRepository({
  owner: "Codertocat",
  name: "Hello-World",
  installationId: 1,
  files: { "README.md": "hello\n" },
});
github.setPermission("Codertocat", "Hello-World", "Codertocat", "write");
process.stdout.write(`${JSON.stringify({ apiUrl: github.apiUrl })}\n`);
process.once("SIGTERM", () => void github.close().finally(() => process.exit(0)));
