// The link from a run's texts on GitHub (the tracking comment, the pull request) to its page
// among the run pages, `${STAMINA_PUBLIC_URL}/runs/<run id>`, when the operator set where people
// reach Stamina. The address goes into Markdown: characters that could end the link or start
// markup of their own are percent-encoded, so it stays one link whatever the setting holds.
const UNSAFE = /[\s()<>[\]"'`\\]/g;

/** The run page's address, or null when STAMINA_PUBLIC_URL is not set. */
export function runPageUrl(publicUrl: string | undefined, runId: string): string | null {
  if (publicUrl === undefined) return null;
  const url = new URL(`${publicUrl.replace(/\/+$/, "")}/runs/${encodeURIComponent(runId)}`);
  return url.href.replace(
    UNSAFE,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

/** The lines a text ends with to link to the run page: none without one. */
export function runPageLines(runPage: string | null | undefined): string[] {
  return runPage ? ["", `📈 Follow this run step by step on [its page](${runPage}).`] : [];
}
