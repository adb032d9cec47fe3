// The small form of a benchmark, run as `npm run bench -- --small NAME` runs it: through the
// runner, in a process of its own. It must exit 0 and print every figure the benchmark promises,
// once, as a finite number in the promised unit, and the closing table.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { Benchmark } from "../../bench/_bench.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

export async function smoke(name: string): Promise<void> {
  const module = (await import(`../../bench/${name}.ts`)) as Benchmark;
  const { code, stdout, stderr } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "bench/run.ts", "--small", name],
      { cwd: root, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: "silent" } },
      (error, out, err) =>
        resolve({
          code: error ? ((error.code as number | undefined) ?? 1) : 0,
          stdout: out,
          stderr: err,
        }),
    );
  });
  expect(code, `bench ${name} exited ${code}:\n${stderr}`).toBe(0);
  const printed = new Map<string, { value: number; unit: string }>();
  for (const line of stdout.split("\n")) {
    const match = /^bench (\S+) (\S+) (.+)$/.exec(line);
    if (match === null) continue;
    expect(printed.has(match[1]!), `${match[1]} printed twice`).toBe(false);
    printed.set(match[1]!, { value: Number(match[2]), unit: match[3]! });
  }
  expect([...printed.keys()].sort()).toEqual(module.figures.map((f) => f.name).sort());
  for (const promise of module.figures) {
    const figure = printed.get(promise.name)!;
    expect(Number.isFinite(figure.value), `${promise.name} = ${figure.value}`).toBe(true);
    expect(figure.unit, promise.name).toBe(promise.unit);
    expect(stdout, `the table's row for ${promise.name}`).toContain(`| ${promise.name} |`);
  }
  expect(stdout).toContain(`${module.figures.length} figures (small form: not judged)`);
}
