// What the issue and the plan point to: the watchdog's out-of-scope rule and the drift chart
// both ask whether a text names a file, with the same answer.

/** A text points to a file when it names its path, its file name, or its stem (3+ letters). */
export function pointsTo(text: string, path: string): boolean {
  const name = path.split("/").at(-1) ?? path;
  const stem = name.split(".")[0] ?? name;
  const lower = text.toLowerCase();
  return [path, name, ...(stem.length >= 3 ? [stem] : [])].some((candidate) => {
    const escaped = candidate.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(^|[^\\w])${escaped}($|[^\\w])`).test(lower);
  });
}

/** The issue in a run's task (agent.start's `task`): its title and body, not the prompt around them. */
export function issueText(task: string): string {
  const end = task.indexOf("</issue_body>");
  return end === -1 ? task : task.slice(0, end);
}
