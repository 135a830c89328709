// A text dataset as the reference SliceGPT implementation sees one: a list of documents ("rows", the
// Hugging Face `text` column), joined with "\n\n" wherever one long text is needed.

export interface TextDataset {
  /** Short label for messages and the UI, e.g. 'wikitext2/test', 'alpaca', 'notes.txt'. */
  name: string;
  rows: string[];
}

/** Bad or unusable dataset input: a missing file, a malformed line, an empty dataset. One line, no stack. */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** The separator the reference implementation puts between documents. */
export const DOCUMENT_JOINER = '\n\n';

/** Splits text into lines, each keeping its "\n" (the last one may have none). */
export function linesKeepingNewline(text: string): string[] {
  if (text.length === 0) return [];
  return text.split(/(?<=\n)/);
}
