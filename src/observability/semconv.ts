// The attribute names on Stamina's spans. OpenTelemetry's GenAI conventions are still in
// development (the `incubating` entry of @opentelemetry/semantic-conventions, which may change
// in a minor release), so the names are copied here, as that package asks of instrumentations;
// test/observability/semconv.test.ts holds each copy to the installed package.

export const ATTR_ERROR_TYPE = "error.type";
export const ATTR_SERVER_ADDRESS = "server.address";
export const ATTR_SERVER_PORT = "server.port";

export const ATTR_GEN_AI_OPERATION_NAME = "gen_ai.operation.name";
export const ATTR_GEN_AI_PROVIDER_NAME = "gen_ai.provider.name";
export const ATTR_GEN_AI_AGENT_NAME = "gen_ai.agent.name";
export const ATTR_GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id";
export const ATTR_GEN_AI_REQUEST_MODEL = "gen_ai.request.model";
export const ATTR_GEN_AI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens";
export const ATTR_GEN_AI_REQUEST_STREAM = "gen_ai.request.stream";
export const ATTR_GEN_AI_RESPONSE_ID = "gen_ai.response.id";
export const ATTR_GEN_AI_RESPONSE_MODEL = "gen_ai.response.model";
export const ATTR_GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons";
/** Every input token, cache reads and writes included (Anthropic counts those apart). */
export const ATTR_GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens";
export const ATTR_GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens";
export const ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens";
export const ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS =
  "gen_ai.usage.cache_creation.input_tokens";
export const ATTR_GEN_AI_TOOL_NAME = "gen_ai.tool.name";
export const ATTR_GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id";

export const GEN_AI_OPERATION_NAME_VALUE_CHAT = "chat";
export const GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL = "execute_tool";
export const GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT = "invoke_agent";
export const GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC = "anthropic";
export const GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK = "aws.bedrock";
export const GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI = "gcp.vertex_ai";

// Stamina's own, under its own namespace.
/** On every span of a run (stamped from the run's context, see tracing.ts). */
export const ATTR_STAMINA_RUN_ID = "stamina.run.id";
export const ATTR_STAMINA_RUN_KIND = "stamina.run.kind";
export const ATTR_STAMINA_RUN_ATTEMPT = "stamina.run.attempt";
/** What the attempt left the run in: `succeeded`, `failed`, `awaiting_reply`, `queued`, ... */
export const ATTR_STAMINA_RUN_STATE = "stamina.run.state";
export const ATTR_STAMINA_RUN_STEPS = "stamina.run.steps";
export const ATTR_STAMINA_RUN_DOLLARS = "stamina.run.dollars";
export const ATTR_STAMINA_INSTALLATION_ID = "stamina.installation.id";
/** `owner/repo`. */
export const ATTR_STAMINA_REPOSITORY = "stamina.repository";
export const ATTR_STAMINA_ISSUE = "stamina.issue";
export const ATTR_STAMINA_STEP = "stamina.step";
export const ATTR_STAMINA_PHASE = "stamina.phase";
/** How a step left the run: `go`, `done`, `stop` or `aborted`. */
export const ATTR_STAMINA_STEP_NEXT = "stamina.step.next";
