// The scripted model server for tests: the Messages API over loopback, answered from a script.
export { startModelServer, NO_TURN_LEFT } from "./server.ts";
export type { ModelServer, ModelServerOptions } from "./server.ts";
export { text, toolUse, reply } from "./script.ts";
export type {
  RecordedModelRequest,
  ScriptedBlock,
  ScriptedError,
  ScriptedMessage,
  ScriptedReply,
  ScriptedTurn,
} from "./script.ts";
export { CONTEXT_MANAGEMENT_BETA } from "./validate.ts";
