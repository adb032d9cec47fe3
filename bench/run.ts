// Benchmark runner: `npm run bench -- [--small] [NAME...]` runs bench/NAME.ts (no name: all of
// them, in order) and prints one line per figure, `bench NAME VALUE UNIT`, as each benchmark
// ends; then one table of every figure with its target and whether it holds (Markdown, so the
// README's Performance section can take it as printed). A benchmark that crashes, or returns
// other figures than it promised, is reported and the others still run; the exit code is then 1.
// A target not held is a finding, not a failure: the table says so and the exit code stays 0.
// `--small` runs each benchmark's small form (what `npm test` runs), whose figures are printed
// but not judged.
import { readdirSync } from "node:fs";
import { checkFigures, describeTarget, holds, type Benchmark, type Figure } from "./_bench.ts";

const here = new URL("./", import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();

const args = process.argv.slice(2);
const small = args.includes("--small");
const flags = args.filter((a) => a.startsWith("-") && a !== "--small");
const wanted = args.filter((a) => !a.startsWith("-"));
const unknown = wanted.filter((w) => !available.includes(w));
if (flags.length > 0 || unknown.length > 0) {
  const what = [
    ...flags.map((f) => `unknown option: ${f}`),
    ...(unknown.length > 0 ? [`unknown benchmark: ${unknown.join(", ")}`] : []),
  ];
  process.stderr.write(
    `${what.join("\n")}\nusage: npm run bench -- [--small] [NAME...]\navailable: ${available.join(", ")}\n`,
  );
  process.exit(2);
}

interface Row {
  figure: Figure;
  target: string;
  holds: boolean | undefined;
}
const rows: Row[] = [];
const failed: string[] = [];
for (const name of wanted.length > 0 ? wanted : available) {
  try {
    const module = (await import(new URL(`./${name}.ts`, here).href)) as Benchmark;
    const figures = await module.run({ small });
    checkFigures(name, module.figures, figures);
    const promised = new Map(module.figures.map((p) => [p.name, p]));
    for (const figure of figures) {
      process.stdout.write(`bench ${figure.name} ${format(figure.value)} ${figure.unit}\n`);
      const target = promised.get(figure.name)?.target;
      rows.push({
        figure,
        target: describeTarget(target),
        holds: small ? undefined : holds(figure.value, target),
      });
    }
  } catch (error) {
    failed.push(name);
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`benchmark ${name} failed: ${message}\n`);
  }
}

process.stdout.write(`\n${table(rows)}`);
const judged = rows.filter((r) => r.holds !== undefined);
process.stdout.write(
  `\n${rows.length} figures${small ? " (small form: not judged)" : `, ${judged.filter((r) => r.holds).length} of ${judged.length} targets held`}` +
    `${failed.length > 0 ? `; failed: ${failed.join(", ")}` : ""}\n`,
);
process.exit(failed.length > 0 ? 1 : 0);

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

function table(all: readonly Row[]): string {
  const lines = ["| figure | value | unit | target | holds |", "| --- | ---: | --- | --- | --- |"];
  for (const row of all) {
    const verdict = row.holds === undefined ? "" : row.holds ? "yes" : "**no**";
    lines.push(
      `| ${row.figure.name} | ${format(row.figure.value)} | ${row.figure.unit} | ${row.target} | ${verdict} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
