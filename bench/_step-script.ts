// The step benchmark's session: what a model working on the repository of
// _step-repo.ts does, step after step, in a cycle of ten: read two files
// (the editor's `view`), edit two (`str_replace`), create one, and run five
// commands (ls, grep, git status, wc, the project's check script). Every edit
// changes the diff and every file it touches is named in the issue, so the
// product's watchdog sees steady work on the task, as in a healthy run.
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedTurn,
} from "../test/support/model-server/index.ts";
import { constant, filePath, folderName, FILES_PER_FOLDER } from "./_step-repo.ts";

/** The files the edits go to, in turn (four lines of each are edited over 200 steps). */
const EDITED_FILES = 10;
const EDITOR = "str_replace_based_edit_tool";

const notePath = (k: number) => `src/notes/note${String(k).padStart(2, "0")}.ts`;

/** The issue: what to change, naming every file the script edits or creates. */
export function stepIssue(steps: number): { title: string; body: string } {
  const cycles = Math.ceil(steps / 10);
  const edited = Array.from({ length: Math.min(EDITED_FILES, cycles) }, (_, f) => filePath(0, f));
  const notes = Array.from({ length: cycles }, (_, k) => notePath(k));
  return {
    title: "Move the first constants past 1000",
    body: [
      "The first constants of these files must be 1000 and more:",
      ...edited.map((p) => `- ${p}`),
      "",
      "Write a note on each change in a new file:",
      ...notes.map((p) => `- ${p}`),
    ].join("\n"),
  };
}

/** `steps` tool-using turns, then the model's "done" (and its answer to the self-review). */
export function stepScript(steps: number, folders: number): ScriptedTurn[] {
  const turns: ScriptedTurn[] = [];
  for (let i = 0; i < steps; i++) turns.push(reply(stepCall(i, folders)));
  turns.push(reply(text("Done: the constants are moved and each change has a note.")));
  turns.push(reply(text("Reviewed: the diff is what the issue asks.")));
  turns.push(reply(text("Reviewed again: nothing to add.")));
  return turns;
}

function stepCall(i: number, folders: number) {
  const k = Math.floor(i / 10);
  // A file somewhere in the repository, a different one each step.
  const m = (i * 7) % folders;
  const f = (i * 13) % FILES_PER_FOLDER;
  const somewhere = filePath(m, f);
  const bash = (command: string) => toolUse("bash", { command });
  const edit = (second: number) => {
    const file = k % EDITED_FILES;
    const line = Math.floor(k / EDITED_FILES) * 2 + second;
    const old = `${constant(0, file, line)} = ${line};`;
    return editFile(filePath(0, file), old, `${constant(0, file, line)} = ${line + 1000};`);
  };
  switch (i % 10) {
    case 0:
      return toolUse(EDITOR, { command: "view", path: somewhere });
    case 1:
      return bash(`ls src/${folderName(m)} | head -n 20`);
    case 2:
      return edit(0);
    case 3:
      return bash(`grep -n "${constant(m, f, 3)} " ${somewhere}`);
    case 4:
      return toolUse(EDITOR, { command: "view", path: somewhere, view_range: [1, 10] });
    case 5:
      return toolUse(EDITOR, {
        command: "create",
        path: notePath(k),
        file_text: `// Step ${i}: moved a constant of ${filePath(0, k % EDITED_FILES)} past 1000.\nexport const note${k} = ${k};\n`,
      });
    case 6:
      return bash("git status --short | head -n 20");
    case 7:
      return bash(`wc -l ${somewhere}`);
    case 8:
      return edit(1);
    default:
      return bash("sh check.sh");
  }
}
