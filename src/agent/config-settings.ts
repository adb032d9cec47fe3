// The repository config's `watchdog` and `context` keys (src/policy/config.ts)
// as the agent's watchdog and context manager take them.
import type { RepoConfig } from "../policy/config.ts";
import type { ContextSettings } from "./context/settings.ts";
import type { WatchdogSettings } from "./watchdog-rules.ts";

export function watchdogSettingsOf(watchdog: RepoConfig["watchdog"]): WatchdogSettings {
  return {
    enabled: watchdog.enabled,
    repeatedCalls: watchdog.repeated_calls,
    repeatWindow: watchdog.repeat_window,
    failingCommand: watchdog.failing_command,
    outOfScopeFiles: watchdog.out_of_scope_files,
    errorWindow: watchdog.error_window,
    errorShare: watchdog.error_share,
    stallSteps: watchdog.stall_steps,
    pauseWithin: watchdog.pause_within,
  };
}

export function contextSettingsOf(context: RepoConfig["context"]): ContextSettings {
  return {
    serverSide: context.server_side,
    keepToolResults: context.keep_tool_results,
    clearBatch: context.clear_batch,
    serverClearAt: context.server_clear_at,
    serverCompactAt: context.server_compact_at,
    compactAt: context.compact_at,
  };
}
