/**
 * @module gen-ai-attributes
 * The OpenTelemetry GenAI attribute names UMCA sets (semantic conventions 1.38, "development"
 * status). Copied here rather than imported from the conventions' incubating entry, as
 * OpenTelemetry advises for conventions that may still change.
 */
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_REQUEST_MAX_TOKENS = 'gen_ai.request.max_tokens';
export const GEN_AI_REQUEST_TEMPERATURE = 'gen_ai.request.temperature';
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const GEN_AI_AGENT_NAME = 'gen_ai.agent.name';
export const GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const GEN_AI_INPUT_MESSAGES = 'gen_ai.input.messages';
export const GEN_AI_OUTPUT_MESSAGES = 'gen_ai.output.messages';
/** The general convention for a failure's class; UMCA puts its stable error `code` here. */
export const ERROR_TYPE = 'error.type';

export const GEN_AI_OPERATION = { chat: 'chat', invokeAgent: 'invoke_agent', executeTool: 'execute_tool' } as const;
