// From what the user typed to the ids a model continues: through the model's chat template when it has
// one and the user wants it (tokenizer_config.json's `chat_template`, rendered as transformers does with
// add_generation_prompt), else the raw text with the tokenizer's default special tokens; and a prompt
// longer than the model's positions allow is refused in one line, or truncated from the left when the
// user chose that (the newest text is what a continuation depends on).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ChatTemplateError, compileChatTemplate } from '../model/chat-template';
import { LIMITS, readJsonObjectSync } from '../model/input-file';
import type { Tokenizer } from '../model/tokenizer';
import type { ModelSource } from '../model/model-source';

export class PromptError extends Error {
  override name = 'PromptError';
}

/** The prompt must fit the model's positions with the tokens asked for. */
export function checkFits(src: ModelSource, promptTokens: number, maxNew: number): void {
  if (promptTokens === 0) throw new PromptError('the prompt is empty (no tokens to start from)');
  const limit = src.config.maxPositions;
  if (promptTokens + maxNew > limit) {
    throw new PromptError(`prompt (${promptTokens} tokens) + new tokens (${maxNew}) exceed the model's ${limit} positions: shorten the prompt, ask for fewer tokens, or truncate the prompt from the left`);
  }
}

/** 'chat': the model's template was applied; 'raw': the text as typed (no template, or the user chose raw). */
export type PromptStyle = 'chat' | 'raw';

export interface PromptOptions {
  /** Use the model's chat template where it has one (default true). */
  chat?: boolean;
  /** 'error' (default): a prompt that does not fit is refused; 'left': its oldest tokens are dropped. */
  truncate?: 'error' | 'left';
  maxNewTokens: number;
}

export interface BuiltPrompt {
  ids: number[];
  style: PromptStyle;
  /** Why the prompt is raw, or which template was used: one line for the user. */
  note: string;
  /** Tokens dropped from the start (truncate 'left'). */
  truncated: number;
}

/** The folder's chat template (a string, or the "default" of a named list), or null. */
export function chatTemplateOf(folder: string): string | null {
  const path = join(folder, 'tokenizer_config.json');
  if (!existsSync(path)) return null;
  const t = readJsonObjectSync(path, LIMITS.tokenizerConfig, ChatTemplateError)['chat_template'];
  if (typeof t === 'string' && t.trim()) return t;
  if (Array.isArray(t)) {
    const named = t.find((x): x is { name: string; template: string } => !!x && typeof x === 'object' && x.name === 'default' && typeof x.template === 'string');
    return named?.template ?? null;
  }
  return null;
}

export function buildPrompt(src: ModelSource, tok: Tokenizer, text: string, opts: PromptOptions): BuiltPrompt {
  const template = opts.chat === false ? null : chatTemplateOf(src.folder);
  let ids: number[];
  let style: PromptStyle = 'raw';
  let note = opts.chat === false ? 'raw prompt (chat template off)' : 'no chat template in this model: raw prompt';
  if (template !== null) {
    const special = (id: number | null) => (id === null ? '' : tok.decode([id], { skipSpecialTokens: false }));
    let rendered: string;
    try {
      rendered = compileChatTemplate(template)({
        messages: [{ role: 'user', content: text }],
        bos_token: special(tok.bosTokenId),
        eos_token: special(tok.eosTokenId),
        add_generation_prompt: true,
      });
    } catch (e) {
      if (!(e instanceof ChatTemplateError)) throw e;
      throw new ChatTemplateError(`${e.message} (turn the chat template off to send the raw prompt)`);
    }
    // The template writes the special tokens itself (transformers' apply_chat_template adds none).
    ids = tok.encode(rendered, { addSpecialTokens: false });
    style = 'chat';
    note = "the model's chat template";
  } else {
    ids = tok.encode(text);
  }
  const room = src.config.maxPositions - opts.maxNewTokens;
  let truncated = 0;
  if (opts.truncate === 'left' && ids.length > room && room > 0) {
    truncated = ids.length - room;
    // The start-of-text token stays: the model was trained with it in front.
    const bos = tok.bosTokenId !== null && ids[0] === tok.bosTokenId ? [ids[0]] : [];
    ids = [...bos, ...ids.slice(truncated + bos.length)];
    note += `; the first ${truncated} tokens dropped to fit ${src.config.maxPositions} positions`;
  }
  checkFits(src, ids.length, opts.maxNewTokens);
  return { ids, style, note, truncated };
}
