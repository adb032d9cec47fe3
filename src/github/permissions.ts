// Who may drive Stamina: a sender whose permission on the repository is
// write, maintain or admin. Bots never do.
import type { InstallationOctokit } from "./client.ts";

const WRITER_ROLES = new Set(["admin", "maintain", "write"]);

export interface Sender {
  login: string;
  type: string;
}

/** The sender's role on the repository, as GitHub names it ("none" for non-collaborators). */
async function repositoryRole(
  octokit: InstallationOctokit,
  repo: { owner: string; repo: string },
  username: string,
): Promise<string> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({
      ...repo,
      username,
    });
    return data.role_name || data.permission;
  } catch (error) {
    if (isStatus(error, 404)) return "none";
    throw error;
  }
}

export async function isWriter(
  octokit: InstallationOctokit,
  repo: { owner: string; repo: string },
  sender: Sender,
): Promise<{ writer: boolean; role: string }> {
  if (sender.type === "Bot") return { writer: false, role: "bot" };
  const role = await repositoryRole(octokit, repo, sender.login);
  return { writer: WRITER_ROLES.has(role), role };
}

export function isStatus(error: unknown, status: number): boolean {
  return (
    typeof error === "object" && error !== null && "status" in error && error.status === status
  );
}
