// The Dockerfile and compose.yaml, read as Docker and Compose read them (these machines have a
// Docker client but no engine, so the image is not built here): a multi-stage build on the
// Node major that package.json's engines names, a final stage that runs as a numeric non-root
// user with bubblewrap and what the sandbox needs, a HEALTHCHECK that asks /readyz (run here
// against a real server), and a compose file with PostgreSQL, one `serve` and two workers.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_WORKER_OPS_PORT } from "../../src/ops-settings.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string) => readFileSync(join(root, path), "utf8");

interface Instruction {
  keyword: string;
  args: string;
}

/**
 * A Dockerfile's instructions: comment lines dropped (inside a continuation too, as Docker
 * does), blank lines skipped, lines ending in `\` joined with the next.
 */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: string | null = null;
  const finish = (whole: string) => {
    const match = /^\s*(\S+)\s*([\s\S]*)$/.exec(whole);
    if (match) instructions.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim() });
  };
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const continued = /\\\s*$/.test(line);
    pending = (pending ?? "") + (continued ? line.replace(/\\\s*$/, "") : line);
    if (!continued) {
      finish(pending);
      pending = null;
    }
  }
  if (pending !== null) finish(pending);
  return instructions;
}

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The build's stages, each FROM's image with the global ARGs' defaults put in. */
function stagesOf(instructions: Instruction[]): Stage[] {
  const globals = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const image = (words[0] ?? "").replace(
        /\$\{(\w+)\}|\$(\w+)/g,
        (_all, a?: string, b?: string) => globals.get((a ?? b)!) ?? "",
      );
      const name = words[1]?.toUpperCase() === "AS" ? words[2] : undefined;
      stages.push({ image, name, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === "ARG") {
      const [name = "", value = ""] = instruction.args.split("=", 2);
      globals.set(name, value);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** An exec-form argument list (a JSON array), or the shell form as `sh -c`. */
function argv(args: string): string[] {
  return args.startsWith("[") ? (JSON.parse(args) as string[]) : ["/bin/sh", "-c", args];
}

/** The packages a stage's RUNs install with apt-get. */
function aptPackages(stage: Stage): string[] {
  return stage.instructions
    .filter((i) => i.keyword === "RUN")
    .flatMap((i) => i.args.split(/&&|;/))
    .map((command) => /apt-get install\s+(.*)$/.exec(command.trim())?.[1] ?? "")
    .flatMap((list) => list.split(/\s+/).filter((word) => word !== "" && !word.startsWith("-")));
}

/** Whether .dockerignore leaves `path` out of the build context (the last matching rule wins). */
function ignored(path: string, rules: string[]): boolean {
  let out = false;
  for (const rule of rules) {
    const negated = rule.startsWith("!");
    const pattern = (negated ? rule.slice(1) : rule).replace(/^\/+|\/+$/g, "");
    const regex = new RegExp(
      `^${pattern
        .split("**")
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*"))
        .join(".*")}(/.*)?$`,
    );
    if (regex.test(path)) out = !negated;
  }
  return out;
}

const dockerfile = parseDockerfile(read("Dockerfile"));
const stages = stagesOf(dockerfile);
const final = stages.at(-1)!;
const finalOf = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword);
const pkg = JSON.parse(read("package.json")) as {
  engines: { node: string };
  scripts: Record<string, string>;
};

/** ENV instructions of a stage as a map (the `KEY=value` form, several per line). */
function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const i of stage.instructions.filter((i) => i.keyword === "ENV")) {
    for (const [, key, value] of i.args.matchAll(/(\w+)=(\S+)/g)) env.set(key!, value!);
  }
  return env;
}

describe("the Dockerfile", () => {
  it("builds in one stage and runs from a slim one that copies only the result", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const build = stages.find((s) => s.name !== undefined && s !== final)!;
    // better-sqlite3 compiles in the build stage, from source, with the image's Node headers.
    expect(aptPackages(build)).toEqual(expect.arrayContaining(["python3", "make", "g++"]));
    expect(build.instructions.some((i) => /^npm ci\b.*--omit=dev/.test(i.args))).toBe(true);
    const copied = finalOf("COPY").filter((i) => i.args.startsWith(`--from=${build.name} `));
    expect(copied.map((i) => i.args)).toContain(
      `--from=${build.name} /app/node_modules ./node_modules`,
    );
    expect(aptPackages(final)).not.toContain("g++");
    expect(final.image).toMatch(/-slim$/);
  });

  it("runs on the Node major that package.json's engines names", () => {
    const engines = /(\d+)\.\d+/.exec(pkg.engines.node)?.[1];
    expect(engines).toBe("20");
    for (const stage of stages) expect(stage.image).toMatch(new RegExp(`^node:${engines}[.-]`));
  });

  it("runs as a numeric user other than root, one the final stage creates", () => {
    const user = finalOf("USER").at(-1)?.args ?? "";
    const [uid = "", gid = ""] = user.split(":");
    expect(uid).toMatch(/^\d+$/);
    expect(Number(uid)).toBeGreaterThan(0);
    const created = finalOf("RUN").some((i) =>
      new RegExp(`useradd\\b.*--uid ${uid} --gid ${gid}\\b`).test(i.args),
    );
    expect(created).toBe(true);
  });

  it("installs bubblewrap and what the sandbox and the agent need in the final stage", () => {
    // bubblewrap: every command's sandbox; socat: its way out to the egress proxy; git: mirrors,
    // worktrees and commits; ripgrep: the search tool; tini: PID 1, reaping the commands' leftovers.
    expect(aptPackages(final)).toEqual(
      expect.arrayContaining(["bubblewrap", "socat", "git", "ripgrep", "tini"]),
    );
  });

  it("starts what `npm start` starts, under tini, with `all` the command a run may replace", () => {
    const entrypoint = argv(finalOf("ENTRYPOINT").at(-1)?.args ?? "");
    const command = argv(finalOf("CMD").at(-1)?.args ?? "");
    expect(entrypoint.slice(0, 2)).toEqual(["/usr/bin/tini", "--"]);
    expect([...entrypoint.slice(2), ...command].join(" ")).toBe(pkg.scripts.start);
  });

  it("keeps its data in a volume and exposes PORT and the worker's health port", () => {
    const env = envOf(final);
    expect(finalOf("VOLUME").flatMap((i) => argv(i.args))).toContain(env.get("STAMINA_DATA_DIR"));
    const exposed = finalOf("EXPOSE").flatMap((i) => i.args.split(/\s+/));
    expect(exposed).toEqual(
      expect.arrayContaining([env.get("PORT"), String(DEFAULT_WORKER_OPS_PORT)]),
    );
  });

  it("copies only files that exist and that .dockerignore lets into the context", () => {
    const rules = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const sources = finalOf("COPY")
      .filter((i) => !i.args.startsWith("--from="))
      .flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources).toContain("scripts/healthcheck.mjs");
    for (const source of sources) {
      expect(existsSync(join(root, source)), source).toBe(true);
      expect(ignored(source, rules), source).toBe(false);
    }
    expect(ignored(".env", rules)).toBe(true);
    expect(ignored("node_modules/pg/package.json", rules)).toBe(true);
  });
});

describe("the Dockerfile's HEALTHCHECK", () => {
  const healthcheck = dockerfile.filter((i) => i.keyword === "HEALTHCHECK");
  const command = argv(/\bCMD\s+([\s\S]*)$/.exec(healthcheck.at(-1)?.args ?? "")?.[1] ?? "");
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  /** A server answering every request with `status` and a readiness body; the paths asked. */
  async function answering(status: number, failed: string[] = []) {
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? "");
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: status === 200, failed, checks: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    return { port: String((server.address() as AddressInfo).port), paths };
  }

  /** The HEALTHCHECK's command, run here from the image's WORKDIR layout (this checkout). */
  function run(env: Record<string, string>) {
    const [program, ...args] = command;
    expect(program).toBe("node");
    return new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        args,
        { cwd: root, env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
        (error, stdout) => resolve({ code: error ? Number(error.code ?? -1) : 0, out: stdout }),
      );
    });
  }

  it("is there once, in the final stage", () => {
    expect(healthcheck).toHaveLength(1);
    expect(finalOf("HEALTHCHECK")).toHaveLength(1);
  });

  it("asks /readyz on STAMINA_METRICS_PORT, and is healthy only on a 200", async () => {
    const ready = await answering(200);
    expect(await run({ STAMINA_METRICS_PORT: ready.port })).toEqual({
      code: 0,
      out: `ready (http://127.0.0.1:${ready.port}/readyz)\n`,
    });
    expect(ready.paths).toEqual(["/readyz"]);

    const failing = await answering(503, ["database: DATABASE_URL: … does not answer"]);
    const unhealthy = await run({ STAMINA_METRICS_PORT: failing.port });
    expect(unhealthy.code).toBe(1);
    expect(unhealthy.out).toBe(
      `not ready (http://127.0.0.1:${failing.port}/readyz answered 503):\n- database: DATABASE_URL: … does not answer\n`,
    );
  });

  it("asks PORT where nothing answers on STAMINA_METRICS_PORT, and fails where nothing answers", async () => {
    const serve = await answering(200);
    const nowhere = await answering(200);
    const closed = nowhere.port;
    await new Promise((resolve) => servers.pop()!.close(resolve));
    const fallback = await run({ STAMINA_METRICS_PORT: closed, PORT: serve.port });
    expect(fallback.code).toBe(0);
    expect(serve.paths).toEqual(["/readyz"]);
    const none = await run({ STAMINA_METRICS_PORT: closed, PORT: closed });
    expect(none.code).toBe(1);
    expect(none.out).toContain("nothing answers /readyz");
  });
});

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  security_opt?: string[];
}

/** Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?error}`. */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\{(\w+)(?::([-?])([^}]*))?\}/g,
    (_all, name: string, how?: string, word?: string) => {
      const value = env[name];
      if (value !== undefined && value !== "") return value;
      if (how === "?") throw new Error(`${name}: ${word}`);
      return word ?? "";
    },
  );
}

const compose = parseYaml(read("compose.yaml"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const withCommand = (command: string) =>
  Object.entries(services).filter(([, s]) => s.command?.join(" ") === command);
const stamina = [...withCommand("serve"), ...withCommand("worker")];

describe("compose.yaml", () => {
  it("has PostgreSQL, one serve and exactly two workers", () => {
    expect(services.postgres?.image).toMatch(/^postgres:\d+/);
    expect(withCommand("serve")).toHaveLength(1);
    expect(withCommand("worker")).toHaveLength(2);
    expect(Object.keys(services).sort()).toEqual(
      ["postgres", ...stamina.map(([name]) => name)].sort(),
    );
  });

  it("keeps PostgreSQL's data in a named volume and checks its health", () => {
    const postgres = services.postgres!;
    const [volume = ""] = (postgres.volumes ?? []).map((v) => v.split(":")[0]);
    expect(Object.keys(compose.volumes)).toContain(volume);
    expect(postgres.healthcheck?.test.join(" ")).toMatch(/pg_isready/);
  });

  it("points every Stamina service at the postgres service, once it is healthy", () => {
    const postgres = services.postgres!.environment!;
    for (const [name, service] of stamina) {
      expect(service.build, name).toBe(".");
      expect([service.env_file].flat(), name).toContain(".env");
      expect(service.depends_on?.postgres?.condition, name).toBe("service_healthy");
      const url = new URL(
        interpolate(service.environment?.DATABASE_URL ?? "", { POSTGRES_PASSWORD: "pw" }),
      );
      expect(url.protocol, name).toBe("postgres:");
      expect(url.hostname, name).toBe("postgres");
      expect(url.port || "5432", name).toBe("5432");
      expect(url.username, name).toBe(postgres.POSTGRES_USER);
      expect(url.password, name).toBe("pw");
      expect(url.pathname, name).toBe(`/${postgres.POSTGRES_DB}`);
      // .env (copied from .env.example) says ./data; the image's volume is elsewhere.
      expect(service.environment?.STAMINA_DATA_DIR, name).toBe(
        envOf(final).get("STAMINA_DATA_DIR"),
      );
    }
    expect(() => interpolate(services.postgres!.environment!.POSTGRES_PASSWORD!, {})).toThrow(
      /POSTGRES_PASSWORD: set POSTGRES_PASSWORD in \.env/,
    );
  });

  it("checks each worker's /readyz on its own STAMINA_METRICS_PORT, and serve's on PORT", () => {
    const workers = withCommand("worker").map(([, s]) => s);
    const ids = workers.map((w) => w.environment?.STAMINA_WORKER_ID);
    expect(new Set(ids).size).toBe(2);
    expect(ids.every((id) => id !== undefined && id !== "")).toBe(true);
    const data = workers.map((w) => (w.volumes ?? []).find((v) => v.endsWith(":/data")));
    expect(new Set(data).size).toBe(2);
    for (const worker of workers) {
      const port = worker.environment?.STAMINA_METRICS_PORT;
      expect(port).toMatch(/^\d+$/);
      expect(worker.healthcheck?.test).toEqual(["CMD", "node", "scripts/healthcheck.mjs", port]);
    }
    const [, serve] = withCommand("serve")[0]!;
    const port = serve.environment?.PORT ?? envOf(final).get("PORT");
    expect(serve.healthcheck?.test).toEqual(["CMD", "node", "scripts/healthcheck.mjs", port]);
    const published = (serve.ports ?? []).map((p) => interpolate(p, {}).split(":").at(-1));
    expect(published).toContain(port);
  });

  it("gives every Stamina service the container flags that the README states for bubblewrap", () => {
    const readme = read("README.md");
    for (const [name, service] of stamina) {
      expect(service.security_opt, name).toEqual(
        expect.arrayContaining([
          "seccomp=unconfined",
          "apparmor=unconfined",
          "systempaths=unconfined",
        ]),
      );
      for (const flag of service.security_opt ?? []) {
        expect(readme, flag).toContain(`--security-opt ${flag}`);
      }
    }
  });
});
