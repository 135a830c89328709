// V8's JSON.parse errors quote the text they failed on (`Unexpected token 'r', "root:x:0:0:"... is not
// valid JSON`). Echoed to an API caller that quote reads the first characters of any file it can point
// us at, so what reaches a message keeps only where the text went wrong, never the text.

/** `position N` where V8 gives one, else a generic phrase: never any of the parsed text. */
export function jsonSyntaxDetail(e: unknown): string {
  const pos = /at position (\d+)/.exec(e instanceof Error ? e.message : String(e))?.[1];
  return pos !== undefined ? `syntax error at position ${pos}` : 'syntax error';
}

/** A SyntaxError's message without the quoted input (other errors unchanged). */
export function withoutQuotedInput(e: Error): string {
  return e.name === 'SyntaxError' && /JSON/.test(e.message) ? `not valid JSON (${jsonSyntaxDetail(e)})` : e.message;
}
