// How the API says a request outgrew the model's context window when it refuses it outright:
// a 400 invalid_request_error whose message says the prompt is too long. (A turn that fills the
// window while it answers stops with `model_context_window_exceeded` instead.)
import { APIError } from "@anthropic-ai/sdk";

const TOO_LONG =
  /prompt is too long|input is too long|too many (input )?tokens|exceeds? the (model's )?context (window|limit)|context[_ ]length/i;

export function isPromptTooLong(error: unknown): boolean {
  return error instanceof APIError && error.status === 400 && TOO_LONG.test(error.message);
}
