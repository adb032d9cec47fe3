// The pages the sign-in answers with itself: a refusal or a failure, in words, with the way on.
// Every value is escaped (a GitHub error's words, a login), and the page runs no script.
import type { ServerResponse } from "node:http";
import { escapeHtml as escape } from "./html.ts";

export interface AuthPage {
  status: number;
  title: string;
  /** What happened and what to do, in plain words. */
  words: string;
  /** A link onward: where to start again. */
  link?: { href: string; text: string };
  /** Set-Cookie values sent with the page (clearing the sign-in's cookie, say). */
  cookies?: string[];
}

export function sendAuthPage(res: ServerResponse, page: AuthPage): void {
  const link = page.link
    ? `<p><a href="${escape(page.link.href)}">${escape(page.link.text)}</a></p>`
    : "";
  res.writeHead(page.status, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy":
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    ...(page.cookies ? { "set-cookie": page.cookies } : {}),
  });
  res.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(page.title)} · Stamina</title>
<style>body { font: 14px/1.45 system-ui, sans-serif; margin: 32px; color: #1f2328; }</style></head>
<body><h1>${escape(page.title)}</h1><p>${escape(page.words)}</p>${link}</body>
</html>
`);
}

/** A signed-in viewer asking for a repository GitHub does not let them read. */
export function forbiddenPage(login: string, repository: string): AuthPage {
  return {
    status: 403,
    title: "Not allowed",
    words: `You are signed in to GitHub as ${login}, and GitHub says you cannot read ${repository}, so its runs are not shown to you. Ask its owners for read access, or sign in as someone who has it.`,
    link: { href: "/runs/auth/logout", text: "Sign out" },
  };
}
