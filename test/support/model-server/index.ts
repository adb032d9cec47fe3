// The scripted model servers for tests: the Claude API, Amazon Bedrock and Google Vertex AI over
// loopback, each in its own wire format, answered from a script.
export { startModelServer } from "./server.ts";
export type { ModelServer, ModelServerOptions } from "./server.ts";
export { startBedrockServer } from "./bedrock.ts";
export { startVertexServer } from "./vertex.ts";
export { editFile, text, toolUse, reply } from "./script.ts";
export type {
  RecordedModelRequest,
  ScriptedError,
  ScriptedMessage,
  ScriptedReply,
  ScriptedTurn,
} from "./script.ts";
export { CONTEXT_MANAGEMENT_BETA } from "./validate.ts";
