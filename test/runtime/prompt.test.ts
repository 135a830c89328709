// Building the prompt a model continues: the raw text where the model has no chat template (all the shared
// tiny models), the template where it has one (a copy of tiny-llama given Llama-2's), and a prompt longer
// than the model's 512 positions refused in one line, or truncated from the left when asked.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { loadTokenizer } from '../../core/model/tokenizer';
import { buildPrompt } from '../../core/runtime/prompt';
import { generate } from '../../core/runtime/generate';
import { sharedModel } from '../shared';

const tinyLlama = sharedModel('tiny-llama');
const dir = mkdtempSync(join(tmpdir(), 'ss-prompt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a model without a chat template gets the raw prompt, encoded as the tokenizer does by default, and says so', async () => {
  const src = await openModel(tinyLlama);
  const tok = await loadTokenizer(tinyLlama);
  const p = buildPrompt(src, tok, 'Hello there', { maxNewTokens: 8 });
  assert.equal(p.style, 'raw');
  assert.equal(p.note, 'no chat template in this model: raw prompt');
  assert.deepEqual(p.ids, tok.encode('Hello there'));
  assert.equal(p.truncated, 0);
});

test("a model with a chat template gets it: Llama-2's [INST] around the prompt, <s> once, no template when chat is off", async () => {
  const folder = join(dir, 'tiny-llama-chat');
  cpSync(tinyLlama, folder, { recursive: true });
  const configPath = join(folder, 'tokenizer_config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8'));
  config.chat_template = "{% for message in messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + message['content'].strip() + ' [/INST]' }}{% endif %}{% endfor %}";
  writeFileSync(configPath, JSON.stringify(config));
  const src = await openModel(folder);
  const tok = await loadTokenizer(folder);
  const p = buildPrompt(src, tok, ' Tell me a story ', { maxNewTokens: 8 });
  assert.equal(p.style, 'chat');
  assert.deepEqual(p.ids, tok.encode('<s>[INST] Tell me a story [/INST]', { addSpecialTokens: false }));
  assert.equal(p.ids.filter((id) => id === tok.bosTokenId).length, 1);
  assert.equal(buildPrompt(src, tok, 'Hi', { maxNewTokens: 8, chat: false }).style, 'raw');
  // A template outside the subset is refused in one line that says how to go on.
  writeFileSync(configPath, JSON.stringify({ ...config, chat_template: '{% macro m() %}{% endmacro %}' }));
  assert.throws(() => buildPrompt(src, tok, 'Hi', { maxNewTokens: 8 }), {
    name: 'ChatTemplateError',
    message: 'chat template: the tag "{% macro %}" is not supported (turn the chat template off to send the raw prompt)',
  });
  assert.equal(buildPrompt(src, tok, 'Hi', { maxNewTokens: 8, chat: false }).style, 'raw');
  writeFileSync(configPath, JSON.stringify(config));
  // And generation runs on it: the continuation follows the templated prompt.
  const g = await generate({ model: folder, prompt: 'Tell me a story', maxNewTokens: 4, stopIds: [] });
  assert.equal(g.style, 'chat');
  assert.equal(g.promptTokens, buildPrompt(src, tok, 'Tell me a story', { maxNewTokens: 4 }).ids.length);
});

for (const name of ['tiny-llama', 'tiny-stories'])
  test(`${name}: a prompt longer than the context is refused in one line, or keeps its last tokens when truncation is chosen`, async () => {
    const src = await openModel(sharedModel(name));
    const tok = await loadTokenizer(sharedModel(name));
    const long = 'the cat sat on the mat. '.repeat(120);
    const all = tok.encode(long);
    assert.ok(all.length > 512, `${all.length} tokens`);
    assert.throws(() => buildPrompt(src, tok, long, { maxNewTokens: 16 }), {
      name: 'PromptError',
      message: `prompt (${all.length} tokens) + new tokens (16) exceed the model's 512 positions: shorten the prompt, ask for fewer tokens, or truncate the prompt from the left`,
    });
    const p = buildPrompt(src, tok, long, { maxNewTokens: 16, truncate: 'left' });
    assert.equal(p.ids.length, 512 - 16);
    assert.equal(p.truncated, all.length - (512 - 16));
    // The start-of-text token stays where the tokenizer puts one (tiny-stories' does, tiny-llama's does not).
    if (name === 'tiny-stories') assert.equal(all[0], tok.bosTokenId);
    const keep = all[0] === tok.bosTokenId ? [all[0]] : [];
    assert.deepEqual(p.ids, [...keep, ...all.slice(all.length - (512 - 16) + keep.length)]);
    assert.match(p.note, new RegExp(`the first ${p.truncated} tokens dropped to fit 512 positions$`));
  });
