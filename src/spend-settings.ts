// The operator's limits on what runs spend and which models they use, read with the rest of the
// environment: no repository config or command can pass them (runs/spend-limits.ts holds them).
import { z } from "zod";
import { knownModels } from "./model/prices.ts";
import type { OperatorLimits } from "./runs/spend-limits.ts";
import { SettingsError } from "./settings-error.ts";

const dollars = z.coerce
  .number({ error: "must be an amount in US dollars, such as 50 or 12.50" })
  .positive({ error: "must be more than 0 (unset it for no limit)" })
  .optional();

/** The variables, merged into the settings' environment schema. */
export const spendEnv = {
  STAMINA_MAX_DOLLARS_PER_RUN: dollars,
  STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY: dollars,
  STAMINA_MAX_DOLLARS_PER_INSTALLATION_MONTH: dollars,
  STAMINA_MODEL_ALLOW: z.string().optional(),
};

type SpendEnv = z.output<z.ZodObject<typeof spendEnv>>;

export function readOperatorLimits(e: SpendEnv): OperatorLimits {
  const limits: OperatorLimits = {};
  if (e.STAMINA_MAX_DOLLARS_PER_RUN !== undefined) limits.perRun = e.STAMINA_MAX_DOLLARS_PER_RUN;
  if (e.STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY !== undefined) {
    limits.perInstallationDay = e.STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY;
  }
  if (e.STAMINA_MAX_DOLLARS_PER_INSTALLATION_MONTH !== undefined) {
    limits.perInstallationMonth = e.STAMINA_MAX_DOLLARS_PER_INSTALLATION_MONTH;
  }
  const allow = (e.STAMINA_MODEL_ALLOW ?? "").split(/[\s,]+/).filter((m) => m !== "");
  if (allow.length > 0) {
    const known = knownModels();
    const unknown = allow.filter((m) => !known.includes(m));
    if (unknown.length > 0) {
      throw new SettingsError(
        `STAMINA_MODEL_ALLOW: ${unknown.join(", ")} ${unknown.length === 1 ? "is not a model" : "are not models"} Stamina knows; name models from ${known.join(", ")}, separated by commas`,
      );
    }
    limits.modelAllow = [...new Set(allow)];
  }
  return limits;
}
