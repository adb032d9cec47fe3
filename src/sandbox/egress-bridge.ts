// The inside half of the sandbox's one way out. A command with network runs in
// a network namespace of its own (only loopback), where socat listens on
// 127.0.0.1:3128 and carries each connection to the egress proxy's Unix
// socket, bound in from the host (egress-proxy.ts). The proxy variables point
// package managers there; a program that ignores them (raw TCP, its own DNS)
// finds no route and no resolver.

/** Where the proxy's socket is bound inside the sandbox. */
export const EGRESS_SOCKET_INSIDE = "/run/stamina/egress.sock";
const PORT = 3128;
const PROXY_URL = `http://127.0.0.1:${PORT}`;

/** /proc/net/tcp's line for 127.0.0.1:3128 listening (address and port in hex, state 0A). */
const LISTENING = `0100007F:${PORT.toString(16).toUpperCase().padStart(4, "0")} 00000000:0000 0A`;

/**
 * The variables that send HTTP and HTTPS through the proxy: curl, git, npm, pip, Go and cargo
 * read the first four, Yarn 2+ its own. Set after the repository's env, so it cannot move them.
 */
export function proxyEnvironment(): Record<string, string> {
  return {
    HTTP_PROXY: PROXY_URL,
    HTTPS_PROXY: PROXY_URL,
    http_proxy: PROXY_URL,
    https_proxy: PROXY_URL,
    YARN_HTTP_PROXY: PROXY_URL,
    YARN_HTTPS_PROXY: PROXY_URL,
    NO_PROXY: "",
    no_proxy: "",
  };
}

/**
 * bash arguments that start the bridge, wait until it listens, then exec the command in the
 * same process (so the command's pid is the one the caller watches). The bridge is started in
 * a subshell, so it is the namespace's orphan, not one of the command's own processes: a
 * command killed for its time or limits leaves the bridge to the next command of a shell.
 */
export function bridgedCommand(socat: string, bash: string, command: string): string[] {
  const script = [
    `( exec "$1" TCP-LISTEN:${PORT},bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:${EGRESS_SOCKET_INSIDE} </dev/null >/dev/null 2>&1 & )`,
    "tries=0",
    `until grep -qs '${LISTENING}' /proc/net/tcp; do`,
    "  tries=$((tries + 1))",
    '  if [ "$tries" -gt 1000 ]; then echo "stamina: the network bridge (socat) did not start within 10 s" >&2; exit 125; fi',
    "  sleep 0.01",
    "done",
    'exec "$2" -c "$3"',
  ].join("\n");
  return ["-c", script, "stamina-egress", socat, bash, command];
}
