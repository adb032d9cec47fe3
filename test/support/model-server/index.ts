// The scripted model servers for tests: the Claude API, Amazon Bedrock and Google Vertex AI over
// loopback, each in its own wire format, answered from a script.
export { startModelServer, NO_TURN_LEFT } from "./server.ts";
export type { ModelServer, ModelServerOptions } from "./server.ts";
export { startBedrockServer, BEDROCK_VERSIONS } from "./bedrock.ts";
export type { BedrockServerOptions } from "./bedrock.ts";
export { startVertexServer, VERTEX_VERSIONS } from "./vertex.ts";
export type { VertexServerOptions } from "./vertex.ts";
export { editFile, text, toolUse, reply } from "./script.ts";
export type {
  RecordedModelRequest,
  ScriptedBlock,
  ScriptedError,
  ScriptedMessage,
  ScriptedReply,
  ScriptedTurn,
  StreamBreak,
} from "./script.ts";
export { CONTEXT_MANAGEMENT_BETA } from "./validate.ts";
