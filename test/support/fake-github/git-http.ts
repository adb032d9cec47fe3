// Git smart HTTP (`/{owner}/{repo}.git/...`) served by `git http-backend` as a CGI, one process
// per request, behind GitHub's Basic auth: user `x-access-token`, password a live token.
import { spawn } from "node:child_process";
import type { IncomingMessage } from "node:http";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import type { Credentials } from "./auth.ts";
import type { Git } from "./git.ts";
import { holds, reaches } from "./grants.ts";
import { type Exchange, HttpError, readBody } from "./http-io.ts";
import type { FakeState } from "./state.ts";
import type { RecordedRequest } from "./types.ts";
import { parseUploadPack, type UploadPackRequest } from "./upload-pack.ts";

const HTTP_BACKEND = "/usr/lib/git-core/git-http-backend";
const gunzipAsync = promisify(gunzip);

const GIT_PATH = /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack)$/;
const SERVICES = new Set(["git-upload-pack", "git-receive-pack"]);

export interface GitHttpDeps {
  state: FakeState;
  git: Git;
  projectRoot: string;
}

export function isGitPath(pathname: string): boolean {
  return GIT_PATH.test(pathname);
}

const unauthorized = (): HttpError =>
  new HttpError(
    401,
    { message: "Invalid username or token." },
    {
      "www-authenticate": 'Basic realm="GitHub"',
    },
  );

export async function serveGit(
  deps: GitHttpDeps,
  req: IncomingMessage,
  url: URL,
  credentials: Credentials,
  exchange: Exchange,
  record: RecordedRequest,
): Promise<void> {
  const [, owner = "", name = "", action = ""] = GIT_PATH.exec(url.pathname) ?? [];
  const service = action === "info/refs" ? url.searchParams.get("service") : action;
  if (!service || !SERVICES.has(service)) {
    throw new HttpError(403, { message: "Only the smart HTTP protocol is supported." });
  }
  if (credentials.kind !== "basic" || credentials.user !== "x-access-token") throw unauthorized();
  const token = deps.state.liveToken(credentials.password);
  if (!token) throw unauthorized();
  const repo = deps.state.repo(owner, name);
  if (!repo || !reaches(token, repo)) {
    throw new HttpError(404, { message: "Repository not found." });
  }
  // A fetch needs contents read, a push contents write (GitHub's wording for a refused push).
  const level = service === "git-receive-pack" ? "write" : "read";
  if (!holds(token, [["contents", level]])) {
    throw new HttpError(403, {
      message: `${level === "write" ? "Write" : "Read"} access to repository not granted.`,
    });
  }

  let body = await readBody(req);
  if (/gzip/i.test(req.headers["content-encoding"] ?? "")) body = await gunzipAsync(body);
  if (action === "git-upload-pack") record.uploadPack = parseUploadPack(body);

  const relative = repo.barePath.slice(deps.projectRoot.length);
  const env: Record<string, string> = {
    ...deps.git.env,
    GIT_PROJECT_ROOT: deps.projectRoot,
    GIT_HTTP_EXPORT_ALL: "1",
    GATEWAY_INTERFACE: "CGI/1.1",
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: `${relative}/${action}`,
    QUERY_STRING: url.search.replace(/^\?/, ""),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    CONTENT_LENGTH: String(body.length),
    REMOTE_USER: "x-access-token",
    REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
    // Read by the pre-receive hook (git.ts installPushHooks): GitHub's rule on workflow files,
    // and a ruleset's on signed commits.
    FAKE_GITHUB_APP_PUSH: "1",
    FAKE_GITHUB_WORKFLOWS: holds(token, [["workflows", "write"]]) ? "1" : "0",
    FAKE_GITHUB_SIGNED_ONLY: repo.signedOnly === true ? "1" : "0",
  };
  const protocol = req.headers["git-protocol"];
  if (typeof protocol === "string") env.HTTP_GIT_PROTOCOL = protocol;
  await runCgi(env, body, exchange, record.uploadPack);
}

/** Runs the backend and relays its CGI answer (`Status:` and headers, then the body). */
function runCgi(
  env: Record<string, string>,
  body: Buffer,
  exchange: Exchange,
  counted: UploadPackRequest | undefined,
): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(HTTP_BACKEND, [], { env, stdio: ["pipe", "pipe", "pipe"] });
    let pending: Buffer = Buffer.alloc(0);
    let response: ReturnType<Exchange["head"]> | undefined;
    const stderr: Buffer[] = [];

    child.stdout.on("data", (chunk: Buffer) => {
      if (counted) counted.bytesOut += chunk.length;
      if (response) {
        response.write(chunk);
        return;
      }
      pending = Buffer.concat([pending, chunk]);
      const parsed = splitCgiHeaders(pending);
      if (!parsed) return;
      response = exchange.head(parsed.status, parsed.headers, parsed.status >= 400);
      response.write(parsed.rest);
    });
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    // The backend may exit before reading all of a refused request; that EPIPE is expected.
    child.stdin.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") reject(error);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (response) {
        response.end();
        resolvePromise();
        return;
      }
      const detail = Buffer.concat(stderr).toString("utf8").trim();
      reject(
        new Error(`git http-backend exited ${code ?? "by signal"} without a response: ${detail}`),
      );
    });
    child.stdin.end(body);
  });
}

interface CgiHead {
  status: number;
  headers: Record<string, string>;
  rest: Buffer;
}

function splitCgiHeaders(data: Buffer): CgiHead | undefined {
  const crlf = data.indexOf("\r\n\r\n");
  const lf = data.indexOf("\n\n");
  const [end, separator] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
  if (end < 0) return undefined;
  const headers: Record<string, string> = {};
  let status = 200;
  for (const line of data.subarray(0, end).toString("latin1").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === "status") status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers, rest: data.subarray(end + separator) };
}
