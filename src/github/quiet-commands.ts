// Stamina never answers itself, and nothing it writes should even look like an
// order: a line of its own text (a diff, the model's summary, a question) that
// starts with `/stamina` gets its slash escaped. Outside code GitHub shows
// `\/` as `/`; inside a code block the backslash shows, which is the price of
// a comment no parser of commands can mistake for one.
const COMMAND_LINE = /^(\s*)\/(stamina(?=\s|$))/gim;

/** `text` with no line that starts with `/stamina`, at any indentation, fenced or not. */
export function quietCommands(text: string): string {
  return text.replace(COMMAND_LINE, "$1\\/$2");
}
