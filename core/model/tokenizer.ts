// The tokenizer of a Hugging Face model folder, giving the same ids as transformers' AutoTokenizer.
// @huggingface/tokenizers runs the pipeline (normalizer, pre-tokenizer, BPE, post-processor); this file
// adds what the app needs around it: special-token ids, transformers' decode conventions, and exact
// piecewise encoding of long texts (see tokenizer-pieces.ts for why that is exact).
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenizerFiles, tokenContent, TokenizerFormatError, type TokenizerJson } from './tokenizer-files';
import { analyse, planPieces, MAX_PIECE_CHARS } from './tokenizer-pieces';
import { checkPipelineRegexes } from './tokenizer-checks';
import { LIMITS, readJsonObjectSync } from './input-file';
import { isUserError } from '../base/user-error';
import { asTransformersLoadsIt } from './tokenizer-class';

export { TokenizerNotFoundError, TokenizerFormatError } from './tokenizer-files';

export interface EncodeOptions {
  /** Add the special tokens transformers adds by default (LLaMA's <s>, OPT's </s>). Default true. */
  addSpecialTokens?: boolean;
  /**
   * Stop once at least this many ids are produced. The result is then a prefix of the full encoding
   * (exact: pieces are encoded in order), possibly a little longer than asked, without the trailing
   * special tokens. For taking the first windows of a large dataset without encoding all of it.
   */
  maxTokens?: number;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

export interface Tokenizer {
  /** Number of ids the tokenizer can produce (largest id + 1); the model's embedding may be larger. */
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: ArrayLike<number>, opts?: DecodeOptions): string;
  /** Exactly `encode(rows.join(joiner), opts)`, computed piecewise (fast for whole datasets). */
  encodeCorpus(rows: string[], joiner?: string, opts?: EncodeOptions): number[];
}

/** Texts longer than this are encoded piecewise. */
const PIECEWISE_ABOVE = 2048;
/**
 * Target piece length in characters. 1 = cut at every allowed place, i.e. (mostly) one word per piece:
 * words repeat, so most pieces are memo hits; 256-character pieces were ~2× slower for LLaMA-2.
 */
const PIECE_CHARS = 1;

const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;

class SliceTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  readonly padTokenId: number | null;
  #base: HfTokenizer;
  #continuation: HfTokenizer | null;
  #analysis: ReturnType<typeof analyse>;
  #json: TokenizerJson;
  #prefix: number[];
  #suffix: number[];
  #specialIds: Set<number>;
  #cleanUp: boolean;
  #spacesAroundSpecials: boolean;

  constructor(json: TokenizerJson, config: Record<string, unknown>, modelConfig: Record<string, unknown>) {
    this.#json = json;
    this.#base = new HfTokenizer(json, config);
    checkPipelineRegexes(this.#base, 'tokenizer.json', (m) => {
      throw new TokenizerFormatError(m);
    });
    this.#analysis = analyse(json, config);
    this.#continuation = this.#analysis ? new HfTokenizer(this.#continuationJson(this.#analysis.continuation), config) : null;
    const vocab = this.#base.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    const idOf = (key: string, modelKey: string): number | null => {
      const content = tokenContent(config[key]);
      if (content !== null) return this.#base.token_to_id(content) ?? null;
      const fromModel = modelConfig[modelKey];
      return Number.isInteger(fromModel) && (fromModel as number) >= 0 && (fromModel as number) < this.vocabSize ? (fromModel as number) : null;
    };
    const fairseq = vocab.get('<s>') === 0 && vocab.get('</s>') === 2 && vocab.get('<pad>') === 1;
    const gpt2 = vocab.get('<|endoftext|>');
    // vocab.json-only folders carry no config: fall back to what GPT-2 / OPT (fairseq order) use.
    this.bosTokenId = idOf('bos_token', 'bos_token_id') ?? (fairseq ? 2 : (gpt2 ?? null));
    this.eosTokenId = idOf('eos_token', 'eos_token_id') ?? (fairseq ? 2 : (gpt2 ?? null));
    this.padTokenId = idOf('pad_token', 'pad_token_id') ?? (fairseq ? 1 : null);
    this.#specialIds = new Set(json.added_tokens.filter((t) => t.special).map((t) => t.id));
    for (const id of [this.bosTokenId, this.eosTokenId, this.padTokenId]) if (id !== null) this.#specialIds.add(id);
    // transformers only cleans up " ." etc. when the config asks for it (its default is now off).
    this.#cleanUp = config.clean_up_tokenization_spaces === true;
    // SentencePiece-style decoders strip the word-start space of each run; transformers decodes the runs
    // between special tokens separately and joins them with spaces ("<s> Hello … 🙂 <s> spaces").
    this.#spacesAroundSpecials = JSON.stringify(json.decoder ?? {}).includes('"Strip"');
    // What the post-processor adds around a single sequence, found by probing (template, BOS-only, none).
    const probe = 'a';
    const bare = this.#base.encode(probe, { add_special_tokens: false }).ids;
    const full = this.#base.encode(probe, { add_special_tokens: true }).ids;
    const at = indexOfRun(full, bare);
    if (at < 0) throw new Error('tokenizer post-processor changes the encoded text; not supported');
    this.#prefix = full.slice(0, at);
    this.#suffix = full.slice(at + bare.length);
  }

  /**
   * The library matches a normalized added token by its *normalized* text, e.g. LLaMA-2's "<unk>" as
   * "▁<unk>" (so it takes the space before it). The continuation variant has no Prepend step, so give it
   * the base tokenizer's normalized forms directly (its own normalizer leaves them unchanged).
   */
  #continuationJson(json: TokenizerJson): TokenizerJson {
    const normalize = this.#base.normalizer;
    if (!normalize) return json;
    return {
      ...json,
      added_tokens: json.added_tokens.map((t) => (t.normalized ? { ...t, content: normalize(t.content) } : t)),
    };
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    return this.#library(() => this.#encode(text, opts));
  }

  /**
   * Runs library code: what it throws on a text is the tokenizer file's fault (the library trusts its
   * pipeline description), so it reaches the user as a TokenizerFormatError, not as a bug.
   */
  #library<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (isUserError(e)) throw e;
      throw new TokenizerFormatError(
        `the tokenizer cannot process this text (${String((e as Error)?.message ?? e)
          .split('\n')[0]
          .slice(0, 120)})`,
      );
    }
  }

  #encode(text: string, opts: EncodeOptions): number[] {
    const special = opts.addSpecialTokens ?? true;
    if (text.length <= PIECEWISE_ABOVE || !this.#analysis || !this.#continuation) {
      return this.#base.encode(text, { add_special_tokens: special }).ids;
    }
    const pieces = planPieces(text, this.#json, this.#analysis, PIECE_CHARS, MAX_PIECE_CHARS);
    if (!pieces) return this.#base.encode(text, { add_special_tokens: special }).ids;
    const out: number[] = special ? [...this.#prefix] : [];
    // Pieces are mostly single words, which repeat: remember each one's ids for this call.
    const seen = [new Map<string, number[]>(), new Map<string, number[]>()];
    const stopAt = opts.maxTokens ?? Infinity;
    for (const p of pieces) {
      if (out.length >= stopAt) return out;
      const piece = text.slice(p.start, p.end);
      const memo = seen[p.continuation ? 1 : 0];
      let ids = memo.get(piece);
      if (!ids) {
        const enc = p.continuation ? this.#continuation : this.#base;
        ids = enc.encode(piece, { add_special_tokens: false }).ids;
        memo.set(piece, ids);
      }
      for (const id of ids) out.push(id);
    }
    if (special) out.push(...this.#suffix);
    return out;
  }

  encodeCorpus(rows: string[], joiner = '\n\n', opts: EncodeOptions = {}): number[] {
    return this.encode(rows.join(joiner), opts);
  }

  decode(ids: ArrayLike<number>, opts: DecodeOptions = {}): string {
    return this.#library(() => this.#decode(ids, opts));
  }

  #decode(ids: ArrayLike<number>, opts: DecodeOptions): string {
    const list = Array.from(ids, Number).filter((id) => !(opts.skipSpecialTokens && this.#specialIds.has(id)));
    if (list.length === 0) return '';
    const run = (r: number[]) => (r.length ? this.#base.decode(r, { skip_special_tokens: false, clean_up_tokenization_spaces: this.#cleanUp }) : '');
    if (!this.#spacesAroundSpecials) return run(list);
    const parts: string[] = [];
    let current: number[] = [];
    for (const id of list) {
      const token = this.#base.id_to_token(id) ?? '';
      if (this.#specialIds.has(id) && !BYTE_TOKEN.test(token)) {
        if (current.length) parts.push(run(current));
        current = [];
        parts.push(token);
      } else current.push(id);
    }
    if (current.length) parts.push(run(current));
    return parts.join(' ');
  }
}

function indexOfRun(haystack: number[], needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Loads tokenizer.json (+ tokenizer_config.json), or builds GPT-2/OPT byte-level BPE from vocab.json + merges.txt. */
export async function loadTokenizer(folder: string): Promise<Tokenizer> {
  const { json, config } = readTokenizerFiles(folder);
  const modelConfigPath = join(folder, 'config.json');
  let modelConfig: Record<string, unknown> = {};
  if (existsSync(modelConfigPath)) {
    try {
      modelConfig = readJsonObjectSync(modelConfigPath, LIMITS.config, TokenizerFormatError);
    } catch {
      // A broken config.json is the model loader's error to report; here it only supplies fallback ids.
    }
  }
  try {
    return new SliceTokenizer(asTransformersLoadsIt(json, config), config, modelConfig);
  } catch (e) {
    if (e instanceof TokenizerFormatError) throw e;
    // The library rejects components it does not implement (e.g. an unknown model or pre-tokenizer type).
    throw new TokenizerFormatError(
      `unsupported tokenizer in ${folder}: ${String((e as Error)?.message ?? e)
        .split('\n')[0]
        .slice(0, 160)}`,
    );
  }
}
