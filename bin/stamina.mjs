#!/usr/bin/env node
// The `stamina` command (package.json's bin, for `npx stamina` and a global install): Stamina's
// TypeScript entry, loaded through tsx, in the folder the command is called from.
import { register } from "tsx/esm/api";

register();
await import("../src/main.ts");
