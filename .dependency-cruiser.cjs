// The layers of DESIGN.md ("Layers"), held by dependency-cruiser in `npm test` (`npm run layers`).
//
// FLOORS is the map: top to bottom, each floor a list of rooms (a folder or a file). A file
// imports from its own room or from floors strictly below its own, never from a floor above;
// rooms of one floor keep apart unless the floor says `shared`. Every rule below the table is
// generated from it, so moving a folder is one line here. A new folder in src/ gets a line
// before its first import, or `not-on-a-floor` fails.
//
// Add no exception without its reason in a `comment`: a layer error is fixed by moving the code
// down, or by passing it in as a port from above (CONTRIBUTING.md, "Things that bite").

/**
 * @typedef {{ name: string, path: string }} Room
 * @typedef {{ rooms: Room[], shared?: boolean, why: string }} Floor
 */

const folder = (name) => ({ name, path: `^src/${name}/` });
const file = (name) => ({ name, path: `^src/${name}\\.ts$` });

/** @type {Floor[]} */
const FLOORS = [
  {
    rooms: [
      file("main"),
      folder("cli"),
      file("settings"),
      file("settings-error"),
      file("model-settings"),
      file("network-settings"),
      file("spend-settings"),
      file("ops-settings"),
      file("pages-settings"),
      file("access-settings"),
    ],
    shared: true,
    why: "the process entry, the local commands and the settings they read: they wire the rest",
  },
  {
    rooms: [folder("app"), folder("web"), folder("pages")],
    why: "the front doors (webhooks, operators' probes, the run pages); each hands work to runs/ or reads the store, and knows nothing of the others",
  },
  {
    rooms: [folder("runs")],
    why: "a run's life (runs/kinds/ is inside this room: the pipeline and its kinds use each other)",
  },
  {
    rooms: [folder("surface")],
    why: "what a run shows on GitHub, written through the GitHub port",
  },
  {
    rooms: [folder("store"), folder("github")],
    why: "the two stores of record, ours and GitHub's; a run joins them, neither knows the other",
  },
  {
    rooms: [folder("agent")],
    why: "the loop: GitHub-free and store-free, it sees the world only through its ports",
  },
  {
    rooms: [folder("policy")],
    why: "the repository config and the rules it sets, which the agent reads",
  },
  {
    rooms: [folder("model"), folder("workspace"), folder("audit")],
    why: "the three adapters under the agent (Claude, the worktree, the event log); independent",
  },
  {
    rooms: [folder("sandbox")],
    why: "where commands run: bubblewrap, limits, the persistent shell; the worktree's search runs there",
  },
  {
    rooms: [folder("observability"), file("version")],
    why: "logging, redaction and the version: everything may use them, they use nothing of ours",
  },
];

const allRooms = FLOORS.flatMap((floor) => floor.rooms);

/** The "not up" rule of each room: nothing from the floors above its own. */
const notUp = FLOORS.flatMap((floor, index) =>
  index === 0
    ? []
    : floor.rooms.map((room) => ({
        name: `${room.name}-not-up`,
        comment:
          `${room.name} (floor ${index + 1}: ${floor.why}) imports only from floors below it; ` +
          `move the code down, or pass it in as a port`,
        severity: "error",
        from: { path: room.path },
        to: { path: FLOORS.slice(0, index).flatMap((above) => above.rooms.map((r) => r.path)) },
      })),
);

/** Rooms of a floor that is not `shared` keep apart: `store-not-github`, `github-not-store`. */
const apart = FLOORS.flatMap((floor) =>
  floor.shared
    ? []
    : floor.rooms.flatMap((room) =>
        floor.rooms
          .filter((other) => other !== room)
          .map((other) => ({
            name: `${room.name}-not-${other.name}`,
            comment:
              `${room.name} and ${other.name} share a floor (${floor.why}) and do not import each other; ` +
              `what both need goes to a floor below`,
            severity: "error",
            from: { path: room.path },
            to: { path: other.path },
          })),
      ),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...notUp,
    ...apart,
    {
      name: "no-circular",
      comment:
        "no import circles, type-only imports included: a circle makes two modules one, " +
        "and breaks load order; cut it with a type moved down or a port passed in",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "not-to-unresolvable",
      comment: "an import that resolves to no file is a typo or a missing dependency",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: "src-not-test-or-bench",
      comment: "the product never loads test or benchmark code; move what both need into src/",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "no-orphans",
      comment:
        "a module in src/ that nothing imports is dead (src/main.ts is the entry); delete it, " +
        "or import it where it is meant to be used",
      severity: "error",
      // src/pages/assets/ holds the scripts the run pages send to the browser: read as files, never imported.
      from: { orphan: true, path: "^src/", pathNot: ["^src/main\\.ts$", "^src/pages/assets/"] },
      to: {},
    },
    {
      name: "not-on-a-floor",
      comment: "every file in src/ lives in a room of FLOORS; add the new folder to the table",
      severity: "error",
      from: { path: "^src/", pathNot: allRooms.map((room) => room.path) },
      to: {},
    },
    {
      name: "import-not-on-a-floor",
      comment: "every file in src/ lives in a room of FLOORS; add the new folder to the table",
      severity: "error",
      from: {},
      to: { path: "^src/", pathNot: allRooms.map((room) => room.path) },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports are arrows too: a type from a floor above is still a layer break.
    tsPreCompilationDeps: true,
    // Relative to the working directory: the repository root (and the checker's test fixture).
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types", "typings"],
    },
    skipAnalysisNotInRules: true,
  },
};
