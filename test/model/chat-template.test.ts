// The chat-template subset renders the common templates exactly as transformers' apply_chat_template does
// (expected strings written out from the templates' published behaviour), and refuses what it cannot do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatTemplateError, compileChatTemplate } from '../../core/model/chat-template';

// meta-llama/Llama-2-7b-chat-hf's tokenizer_config.json chat_template.
const LLAMA2 =
  "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

// Qwen2-Instruct's ChatML template.
const CHATML =
  "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// Zephyr's, written over several lines with whitespace control and trim_blocks.
const ZEPHYR = `{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>\n' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>\n'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}`;

test('Llama-2 chat: [INST] around the user turn, the system prompt folded into the first, roles checked', () => {
  const render = compileChatTemplate(LLAMA2);
  assert.equal(render({ messages: [{ role: 'user', content: ' Hi there ' }], bos_token: '<s>', eos_token: '</s>' }), '<s>[INST] Hi there [/INST]');
  assert.equal(
    render({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
      ],
      bos_token: '<s>',
      eos_token: '</s>',
    }),
    '<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s>',
  );
  assert.throws(() => render({ messages: [{ role: 'assistant', content: 'x' }] }), { name: 'ChatTemplateError', message: /Conversation roles must alternate/ });
});

test('ChatML (Qwen2): a default system turn, then the user turn, then the assistant header when asked', () => {
  const render = compileChatTemplate(CHATML);
  assert.equal(render({ messages: [{ role: 'user', content: 'Hi' }], add_generation_prompt: true }), '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(
    render({
      messages: [
        { role: 'system', content: 'S' },
        { role: 'user', content: 'Hi' },
      ],
    }),
    '<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n',
  );
});

test('a multi-line template loses the newline after each block tag (trim_blocks), as transformers renders it', () => {
  const render = compileChatTemplate(ZEPHYR);
  assert.equal(render({ messages: [{ role: 'user', content: 'Hi' }], eos_token: '</s>', add_generation_prompt: true }), '<|user|>\nHi</s>\n<|assistant|>\n');
});

test('whitespace control, filters, slices, tests and loop variables', () => {
  const render = compileChatTemplate("{%- for m in messages[-2:] -%}\n  {{ loop.index }}:{{ m.content | trim | upper }}{{ ',' if not loop.last }}\n{%- endfor %}{{ x is defined }}");
  assert.equal(
    render({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: ' b ' },
        { role: 'user', content: 'c' },
      ],
    }),
    '1:B,2:CFalse',
  );
});

test('a template outside the subset is refused in one line', () => {
  assert.throws(() => compileChatTemplate('{% macro f() %}x{% endmacro %}'), { name: 'ChatTemplateError', message: /the tag "\{% macro %\}" is not supported/ });
  assert.throws(() => compileChatTemplate('{{ messages | dictsort }}'), { name: 'ChatTemplateError', message: /filter "dictsort"/ });
  assert.throws(
    () => compileChatTemplate('{% if true %}never closed'),
    (e: unknown) => e instanceof ChatTemplateError && /missing \{% endif %\}/.test(e.message),
  );
});
