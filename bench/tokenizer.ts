// `npm run bench -- tokenizer [--whole]`: load time and WikiText-2 test encoding time of each tokenizer
// (piecewise, as the app does), and with --whole the time of one @huggingface/tokenizers call on the
// whole text (LLaMA-2: about a minute) and whether the ids are identical. Prints JSON.
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadTokenizer } from '../core/model/tokenizer';
import { readTokenizerFiles } from '../core/model/tokenizer-files';
import { wikitext2 } from '../core/data/wikitext2';
import { SHARED } from '../test/shared';

const shared = `${SHARED}/`;
const folders: Record<string, string> = {
  'llama-2': `${shared}data/tokenizers/llama-2`,
  'phi-2': `${shared}data/tokenizers/phi-2`,
  gpt2: `${shared}data/tokenizers/gpt2`,
  opt: `${shared}data/tokenizers/opt`,
  'tiny-llama': `${shared}models/tiny-llama`,
  'tiny-opt': `${shared}models/tiny-opt`,
  'tiny-stories': `${shared}models/tiny-stories`,
};

export async function main(args: string[]): Promise<void> {
  const whole = args.includes('--whole');
  const rows = (await wikitext2('test')).rows;
  const text = rows.join('\n\n');
  const results: Record<string, unknown>[] = [];
  for (const [name, folder] of Object.entries(folders)) {
    let t = performance.now();
    const tok = await loadTokenizer(folder);
    const loadS = (performance.now() - t) / 1000;
    t = performance.now();
    const ids = tok.encodeCorpus(rows);
    const piecewiseS = (performance.now() - t) / 1000;
    const r: Record<string, unknown> = { name, tokens: ids.length, load_s: +loadS.toFixed(3), piecewise_s: +piecewiseS.toFixed(3) };
    if (whole) {
      const { json, config } = readTokenizerFiles(folder);
      const hf = new HfTokenizer(json, config);
      t = performance.now();
      const ref = hf.encode(text).ids;
      r.whole_s = +((performance.now() - t) / 1000).toFixed(3);
      r.identical = ref.length === ids.length && ref.every((id, i) => id === ids[i]);
    }
    results.push(r);
  }
  console.log(JSON.stringify({ bench: 'tokenizer', text_chars: text.length, results }, null, 2));
}
