// Benchmark runner: `npm run bench -- NAME` runs bench/NAME.ts (no name: all)
// and prints one line per figure: `bench NAME VALUE UNIT`.
import { readdirSync } from "node:fs";

export interface Figure {
  name: string;
  value: number;
  unit: string;
}

const here = new URL("./", import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown benchmark: ${unknown.join(", ")} (available: ${available.join(", ")})\n`,
  );
  process.exit(2);
}
for (const name of wanted.length > 0 ? wanted : available) {
  const module = (await import(new URL(`./${name}.ts`, here).href)) as {
    run: () => Promise<Figure[]>;
  };
  for (const figure of await module.run()) {
    const value = Number.isInteger(figure.value) ? String(figure.value) : figure.value.toFixed(3);
    process.stdout.write(`bench ${figure.name} ${value} ${figure.unit}\n`);
  }
}
