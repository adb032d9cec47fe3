// The container's health check: asks this container's Stamina process whether it is ready
// (GET /readyz) and exits 0 when it is, 1 when it is not, printing what failed (Docker keeps
// the output: `docker inspect --format '{{json .State.Health}}' CONTAINER`).
//
//   node scripts/healthcheck.mjs [PORT...]
//
// Without ports it asks STAMINA_METRICS_PORT (9464 unset: where `stamina worker` answers), then
// PORT (3000 unset: where `serve` and `all` answer); the first that answers decides. Plain
// JavaScript, so the check costs a node start and no TypeScript compile.
import { get } from "node:http";
import process from "node:process";

const env = process.env;
const ports =
  process.argv.length > 2
    ? process.argv.slice(2)
    : [env.STAMINA_METRICS_PORT || "9464", env.PORT || "3000"];
// HOST is where the process listens; every address (unset, 0.0.0.0, ::) includes loopback.
const host = ["", "0.0.0.0", "::"].includes(env.HOST ?? "") ? "127.0.0.1" : env.HOST;
const say = (line) => process.stdout.write(`${line}\n`);

/** The answer of /readyz on `port`, or null when nothing listens there. */
function ask(port) {
  return new Promise((resolve, reject) => {
    const request = get({ host, port, path: "/readyz", timeout: 4000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode, body }));
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 4 s")));
    request.on("error", (error) => (error.code === "ECONNREFUSED" ? resolve(null) : reject(error)));
  });
}

for (const port of ports) {
  const where = `http://${host}:${port}/readyz`;
  let answer;
  try {
    answer = await ask(port);
  } catch (error) {
    say(`${where} did not answer: ${error.message}`);
    process.exit(1);
  }
  // Nothing listens on this port: the process answers on the next one, if any.
  if (answer === null) continue;
  let failed;
  try {
    failed = JSON.parse(answer.body).failed ?? [];
  } catch {
    failed = [answer.body.slice(0, 500)];
  }
  const ready = answer.status === 200;
  say(ready ? `ready (${where})` : `not ready (${where} answered ${answer.status}):`);
  for (const line of failed) say(`- ${line}`);
  process.exit(ready ? 0 : 1);
}
say(`nothing answers /readyz on ${host}, port ${ports.join(" or ")}: is Stamina running?`);
process.exit(1);
