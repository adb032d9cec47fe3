// A file's line endings, so that an edit matches and writes text as the file has
// it: the model reads and writes "\n", a Windows file has "\r\n".

/** crlf or lf: every line break of the text is that; mixed: both; none: no line break. */
export type LineEndings = "crlf" | "lf" | "mixed" | "none";

export function lineEndingsOf(text: string): LineEndings {
  const breaks = countOf(text, "\n");
  if (breaks === 0) return "none";
  const crlf = countOf(text, "\r\n");
  return crlf === breaks ? "crlf" : crlf === 0 ? "lf" : "mixed";
}

export const toLf = (text: string): string => text.replaceAll("\r\n", "\n");
export const toCrlf = (text: string): string => toLf(text).replaceAll("\n", "\r\n");

/** `text` with the line endings `endings` asks for; as it is for mixed or none. */
export function withEndings(text: string, endings: LineEndings): string {
  if (endings === "crlf") return toCrlf(text);
  if (endings === "lf") return toLf(text);
  return text;
}

function countOf(text: string, part: string): number {
  let count = 0;
  for (let i = text.indexOf(part); i !== -1; i = text.indexOf(part, i + part.length)) count++;
  return count;
}
