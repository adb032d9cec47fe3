// What goes on GitHub from the audit log: the digest and the timeline for the
// pull request body and the check runs, and the one-line event summary both use.
export { renderDigest } from "./digest.ts";
export { renderTimeline, timelineLine } from "./timeline.ts";
export { summarizeEvent } from "./summarize.ts";
