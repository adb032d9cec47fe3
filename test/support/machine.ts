// What a test needs of the machine (bubblewrap, ripgrep, a cgroup …), and
// what happens where it is missing: in CI (CI=true, which installs them all)
// the tests run and fail, each with the missing tool's words and how to
// install it; elsewhere they are skipped, with that reason in their title, so
// a run on a bare machine says what it did not test.
import { findExecutable } from "../../src/sandbox/env.ts";
import type { SandboxProbe } from "../../src/sandbox/sandbox.ts";

const inCI = process.env.CI === "true";

export interface MachineNeed {
  /** Why the tests cannot run here (the first thing missing), or null. */
  readonly missing: string | null;
  /** Skip: something is missing and this is not CI. */
  readonly skip: boolean;
  /** The title, with "(skipped: reason)" when skipped. */
  title(name: string): string;
  /** Throws the reason when something is missing (in CI: the test fails with it). */
  ensure(): void;
}

/** What the tests need, each null when present or the words saying what is missing. */
export function machineNeed(...needs: (string | null)[]): MachineNeed {
  const missing = needs.find((need) => need !== null) ?? null;
  const skip = missing !== null && !inCI;
  return {
    missing,
    skip,
    title: (name) => (skip ? `${name} (skipped: ${missing})` : name),
    ensure() {
      if (missing !== null) {
        throw new Error(`${missing} (CI=true: a missing tool fails these tests, never skips them)`);
      }
    },
  };
}

/** ripgrep, as the product finds it (in the system PATH, src/sandbox/env.ts). */
export function ripgrepMissing(): string | null {
  return findExecutable("rg") === null
    ? "ripgrep (rg) is not installed, so its cases cannot run: apt-get install -y ripgrep"
    : null;
}

/** bubblewrap (and socat, which the probe also wants), in the probe's own words. */
export function bubblewrapMissing(probe: SandboxProbe): string | null {
  return probe.ok ? null : `${probe.reason} ${probe.remedy}`;
}

/** A program some tests run (ssh-keygen, chromium …), with the Debian package that has it. */
export function programMissing(program: string, debianPackage: string): string | null {
  return findExecutable(program) === null
    ? `${program} is not installed, so its cases cannot run: apt-get install -y ${debianPackage}`
    : null;
}
