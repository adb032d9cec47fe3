// The process logger: pino, JSON lines, with every line passed through the
// redactor on its way out, so no secret reaches a log whatever logged it.
import pino, { type Logger } from "pino";
import type { Redactor } from "./redact.ts";

export type { Logger };

export function createLogger(options: {
  level: string;
  redactor: Redactor;
  destination?: pino.DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { app: "stamina" },
      hooks: {
        // The last stop before the stream: catches secrets in messages, errors and bindings alike.
        streamWrite: (line) => options.redactor.redact(line),
      },
    },
    options.destination ?? pino.destination(1),
  );
}
