// The repository's instruction files, read through the API from the default branch only:
// never the run's branch or a pull request's head, which anyone who can push a branch controls.
import type { Octokit } from "@octokit/rest";
import { INSTRUCTION_FILES, type InstructionFile } from "../policy/instructions.ts";

export async function readInstructionFiles(
  octokit: Pick<Octokit, "rest">,
  where: { owner: string; repo: string },
): Promise<InstructionFile[]> {
  const files: InstructionFile[] = [];
  for (const path of INSTRUCTION_FILES) {
    try {
      // No `ref`: GitHub answers from the default branch, whatever branch triggered the run.
      const { data } = await octokit.rest.repos.getContent({
        ...where,
        path,
        mediaType: { format: "raw" },
      });
      // A folder or a submodule of that name answers with JSON, not text: not instructions.
      if (typeof data === "string") files.push({ path, text: data });
    } catch (error) {
      if ((error as { status?: number }).status === 404) continue;
      throw error;
    }
  }
  return files;
}
