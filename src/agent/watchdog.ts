// The watchdog: a step hook that feeds each step to the rules in
// watchdog-rules.ts and answers a signal first with a nudge (a note the model
// reads in its next request, naming the signal), then, if the signal comes
// back soon after, with a pause for a person. Its window and the signals so
// far live in the snapshot (`hooks.watchdog`), so a resumed run keeps them.
import type { HookResult, StepContext, StepHook } from "./hooks.ts";
import type { AuditSink, PauseRequest, WorkspacePort } from "./ports.ts";
import {
  diffFiles,
  hash,
  initialWatchdogState,
  observeCall,
  observeStep,
  type WatchdogRule,
  type WatchdogSettings,
  type WatchdogSignal,
  type WatchdogState,
} from "./watchdog-rules.ts";

const WATCHDOG_HOOK = "watchdog";

/** The hook's state in the snapshot: the rules' window, and what it said and did so far. */
interface WatchdogHookState {
  rules: WatchdogState;
  /** The step of the last nudge, per rule, while a repeat would pause. */
  nudged: Partial<Record<WatchdogRule, number>>;
  /** The last signals with what was done about them, for the run's record. */
  signals: Array<WatchdogSignal & { action: "nudge" | "pause" }>;
  /** This step's signals and the run's totals, which the step's `context.health` event copies. */
  health: {
    signals: Array<{ rule: WatchdogRule; action: "nudge" | "pause" }>;
    nudges: number;
    pauses: number;
  };
}

const KEEP_SIGNALS = 50;

const ADVICE: Record<WatchdogRule, string> = {
  repeated_call:
    "Doing it again will give the same result. Re-read the task and the last results, and take a different approach.",
  failing_command:
    "Read its output closely and change something before you run it again. If it cannot pass for a reason outside your change (it failed before you changed anything), end your turn with a message that starts with `cannot fix:` and the reason.",
  out_of_scope:
    "Keep the change to what the issue asks: undo the unrelated edits (`git show {{base}}:path > path` restores a file as it was at the start, or delete files you created), or add the reason for each to the plan with update_plan.",
  error_rate:
    "Stop and find out why your calls fail (the inputs, the paths, the tool's rules) before you make more.",
  stall:
    "Decide the next concrete change and make it, or update the plan to say what is blocking you. If the task cannot be done, end your turn with a summary that says why.",
};

export interface WatchdogOptions {
  settings: WatchdogSettings;
  /** The text: the files it names are in scope. */
  scope: string;
  workspace: WorkspacePort;
  audit: AuditSink;
  signal: AbortSignal;
}

export function createWatchdog(options: WatchdogOptions): StepHook {
  const { settings, audit } = options;
  return {
    name: WATCHDOG_HOOK,
    async afterStep(context: StepContext, raw: unknown): Promise<HookResult> {
      const state = restore(raw);
      const diff =
        context.touched || state.rules.diffHash === null
          ? await (options.workspace.change ?? options.workspace.diff)(options.signal)
          : null;
      const { state: rules, signals } = observeStep(
        state.rules,
        {
          step: context.step,
          calls: context.calls.map(observeCall),
          diff: diff === null ? null : { hash: hash(diff), files: diffFiles(diff) },
          plan: context.state.plan.map((p) => `${p.status} ${p.step}`).join("\n"),
          scope: options.scope,
        },
        settings,
      );
      state.rules = rules;
      state.health = { ...state.health, signals: [] };
      const notes: string[] = [];
      let pause: PauseRequest | undefined;
      for (const signal of signals) {
        await audit.record("watchdog.signal", { ...signal });
        const nudgedAt = state.nudged[signal.rule];
        const action: "nudge" | "pause" =
          nudgedAt !== undefined && signal.step - nudgedAt <= settings.pauseWithin
            ? "pause"
            : "nudge";
        // The evidence that fired is spent: the next signal of this rule needs new evidence.
        state.rules.since[signal.rule] = signal.step;
        state.signals = [...state.signals, { ...signal, action }].slice(-KEEP_SIGNALS);
        state.health.signals.push({ rule: signal.rule, action });
        if (action === "nudge") state.health.nudges += 1;
        else state.health.pauses += 1;
        if (action === "nudge") {
          state.nudged[signal.rule] = signal.step;
          const note = `Watchdog (${signal.rule.replaceAll("_", " ")}): ${capitalise(signal.message)} ${ADVICE[signal.rule].replace("{{base}}", options.workspace.base.slice(0, 12))}`;
          notes.push(note);
          await audit.record("watchdog.nudge", { step: signal.step, rule: signal.rule, note });
          continue;
        }
        // A run resumed after the pause gets a nudge first again.
        delete state.nudged[signal.rule];
        const reason = `The watchdog paused the run at step ${signal.step}: ${signal.message} Stamina had pointed this out to the model at step ${String(nudgedAt)}, and it went on.`;
        await audit.record("watchdog.pause", { step: signal.step, rule: signal.rule, reason });
        pause ??= {
          source: "watchdog",
          reason,
          details: { rule: signal.rule, step: signal.step, nudgedAt },
        };
      }
      return {
        state,
        ...(notes.length > 0 ? { note: notes.join("\n\n") } : {}),
        ...(pause ? { pause } : {}),
      };
    },
  };
}

function restore(raw: unknown): WatchdogHookState {
  const saved = (typeof raw === "object" && raw !== null ? raw : {}) as Partial<WatchdogHookState>;
  return {
    rules: { ...initialWatchdogState(), ...saved.rules },
    nudged: { ...saved.nudged },
    signals: [...(saved.signals ?? [])],
    health: { signals: [], nudges: 0, pauses: 0, ...saved.health },
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
