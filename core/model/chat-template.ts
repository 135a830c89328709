// Chat templates (tokenizer_config.json's `chat_template`) rendered by a small Jinja subset: enough for the
// common Llama-2, Llama-3, Mistral, Zephyr and ChatML (Qwen, Phi-3) templates — text, {{ expressions }},
// {% if / elif / else %}, {% for x in list %} with `loop`, {% set %}, whitespace control ({%- -%}), string
// and list indexing and slicing, + ~ == != < > <= >= and or not in, `is defined / none`, filters `trim`,
// `length`, `tojson`, the string methods strip/lstrip/rstrip/upper/lower/startswith/endswith/title, and
// raise_exception. A template outside the subset is refused in one line, never half-rendered (the raw
// prompt stays available: runtime/prompt.ts says how).

export { ChatTemplateError } from './chat-template-error';
import { ChatTemplateError } from './chat-template-error';
import { expression, str, truthy, type Expr, type Scope, type Value } from './jinja-expression';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

// ── statements ──────────────────────────────────────────────────────────────────────────────────────
type Node = (scope: Scope, out: string[]) => void;
type Piece = { kind: 'text'; text: string } | { kind: 'expr'; src: string } | { kind: 'tag'; src: string };

function pieces(template: string): Piece[] {
  const out: Piece[] = [];
  const re = /\{\{(-?)([\s\S]*?)(-?)\}\}|\{%(-?)([\s\S]*?)(-?)%\}|\{#[\s\S]*?#\}/g;
  let last = 0;
  let trimNext = false;
  let blockEnded = false;
  for (let m = re.exec(template); m; m = re.exec(template)) {
    let text = template.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    // transformers renders with trim_blocks and lstrip_blocks: the newline after a block tag goes, and so do
    // the spaces before a block tag at the start of its line.
    else if (blockEnded) text = text.replace(/^\n/, '');
    const isBlock = !m[0].startsWith('{{');
    if (m[1] === '-' || m[4] === '-') text = text.replace(/\s+$/, '');
    else if (isBlock) text = text.replace(/(^|\n)[ \t]+$/, '$1');
    blockEnded = isBlock;
    if (text) out.push({ kind: 'text', text });
    if (m[0].startsWith('{{')) out.push({ kind: 'expr', src: m[2] });
    else if (m[0].startsWith('{%')) out.push({ kind: 'tag', src: m[5].trim() });
    trimNext = m[3] === '-' || m[6] === '-';
    last = m.index + m[0].length;
  }
  let tail = template.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, '');
  else if (blockEnded) tail = tail.replace(/^\n/, '');
  if (tail) out.push({ kind: 'text', text: tail });
  return out;
}

function compile(ps: Piece[]): Node[] {
  let i = 0;
  const block = (ends: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (i < ps.length) {
      const p = ps[i++];
      if (p.kind === 'text') {
        const text = p.text;
        nodes.push((_, out) => out.push(text));
      } else if (p.kind === 'expr') {
        const e = expression(p.src);
        nodes.push((s, out) => out.push(str(e(s))));
      } else {
        const word = p.src.split(/\s+/)[0];
        if (ends.includes(word)) return { nodes, end: p.src };
        nodes.push(statement(word, p.src.slice(word.length).trim()));
      }
    }
    if (ends.length) throw new ChatTemplateError(`chat template: missing {% ${ends[ends.length - 1]} %}`);
    return { nodes, end: '' };
  };
  const run = (nodes: Node[], s: Scope, out: string[]) => nodes.forEach((n) => n(s, out));
  const statement = (word: string, rest: string): Node => {
    if (word === 'if') {
      const branches: { cond: Expr | null; nodes: Node[] }[] = [];
      let cond: Expr | null = expression(rest);
      for (;;) {
        const b = block(['elif', 'else', 'endif']);
        branches.push({ cond, nodes: b.nodes });
        if (b.end.startsWith('endif')) break;
        cond = b.end.startsWith('elif') ? expression(b.end.slice(4)) : null;
      }
      return (s, out) => {
        const hit = branches.find((b) => b.cond === null || truthy(b.cond(s)));
        if (hit) run(hit.nodes, s, out);
      };
    }
    if (word === 'for') {
      const m = /^([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\s+([\s\S]+)$/.exec(rest);
      if (!m) throw new ChatTemplateError(`chat template: cannot read "{% for ${rest} %}"`);
      const list = expression(m[3]);
      const b = block(['endfor']);
      return (s, out) => {
        const items = list(s);
        if (!Array.isArray(items)) return;
        items.forEach((item, k) => {
          const inner: Scope = new Map(s);
          if (m[2]) {
            inner.set(m[1], (item as Value[])[0]);
            inner.set(m[2], (item as Value[])[1]);
          } else inner.set(m[1], item);
          inner.set('loop', { index0: k, index: k + 1, first: k === 0, last: k === items.length - 1, length: items.length });
          run(b.nodes, inner, out);
          // {% set %} inside a loop does not leak out of it in Jinja; scopes are copies, so nothing to undo.
        });
      };
    }
    if (word === 'set') {
      const m = /^([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/.exec(rest);
      if (!m) throw new ChatTemplateError(`chat template: cannot read "{% set ${rest} %}"`);
      const e = expression(m[2]);
      return (s) => void s.set(m[1], e(s));
    }
    throw new ChatTemplateError(`chat template: the tag "{% ${word} %}" is not supported`);
  };
  return block([]).nodes;
}

export interface ChatTemplateContext {
  messages: ChatMessage[];
  bos_token?: string;
  eos_token?: string;
  add_generation_prompt?: boolean;
}

/** Parses once; the result renders any conversation. Throws ChatTemplateError on a template outside the subset. */
export function compileChatTemplate(template: string): (ctx: ChatTemplateContext) => string {
  const nodes = compile(pieces(template));
  return (ctx) => {
    const scope: Scope = new Map(Object.entries({ bos_token: '', eos_token: '', add_generation_prompt: false, ...ctx }));
    const out: string[] = [];
    for (const n of nodes) n(scope, out);
    return out.join('');
  };
}
