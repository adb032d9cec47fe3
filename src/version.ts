// Stamina's own version, recorded in every run's audit log.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const pkg = require("../package.json") as { version: string };

export const STAMINA_VERSION: string = pkg.version;
