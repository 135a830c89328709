// Jinja expressions for chat templates (chat-template.ts holds the statements): a lexer and a
// recursive-descent parser that compiles an expression once into a closure over the render scope. Values
// follow Jinja's Python-flavoured rules where templates rely on them (truthiness, "True" when printed).
import { ChatTemplateError } from './chat-template-error';

export type Value = unknown;
export type Scope = Map<string, Value>;

// ── lexer ────────────────────────────────────────────────────────────────────────────────────────────
type Tok = { t: 'str' | 'num' | 'name' | 'op'; v: string };

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') {
          const e = src[++i];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
        } else s += src[i];
        i++;
      }
      if (i >= src.length) throw new ChatTemplateError('chat template: unterminated string');
      i++;
      out.push({ t: 'str', v: s });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(src.slice(i))![0];
      out.push({ t: 'num', v: m });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      out.push({ t: 'name', v: m });
      i += m.length;
    } else {
      const two = src.slice(i, i + 2);
      if (['==', '!=', '<=', '>='].includes(two)) {
        out.push({ t: 'op', v: two });
        i += 2;
      } else if ('+-*/%~<>()[]{}.,:|='.includes(c)) {
        out.push({ t: 'op', v: c });
        i++;
      } else throw new ChatTemplateError(`chat template: unexpected character "${c}"`);
    }
  }
  return out;
}

// ── expressions ─────────────────────────────────────────────────────────────────────────────────────
export type Expr = (scope: Scope) => Value;

export const truthy = (v: Value): boolean => (Array.isArray(v) ? v.length > 0 : v !== null && v !== undefined && v !== false && v !== 0 && v !== '');
export const str = (v: Value): string => (v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'boolean' ? (v ? 'True' : 'False') : typeof v === 'object' ? JSON.stringify(v) : String(v));

function lookup(scope: Scope, name: string): Value {
  return scope.has(name) ? scope.get(name) : undefined;
}

function member(obj: Value, key: Value): Value {
  if (obj === null || obj === undefined) return undefined;
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key === 'number') return obj[key < 0 ? obj.length + key : key];
    if (key === 'length') return obj.length;
  }
  if (typeof obj === 'object' && typeof key === 'string' && Object.hasOwn(obj, key)) return (obj as Record<string, Value>)[key];
  return undefined;
}

const STRING_METHODS: Record<string, (s: string, args: Value[]) => Value> = {
  strip: (s, a) => (a.length ? s.replace(new RegExp(`^[${escape(str(a[0]))}]+|[${escape(str(a[0]))}]+$`, 'g'), '') : s.trim()),
  lstrip: (s) => s.trimStart(),
  rstrip: (s) => s.trimEnd(),
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  title: (s) => s.replace(/\b\w/g, (c) => c.toUpperCase()),
  startswith: (s, a) => s.startsWith(str(a[0])),
  endswith: (s, a) => s.endsWith(str(a[0])),
  split: (s, a) => (a.length ? s.split(str(a[0])) : s.trim().split(/\s+/)),
  replace: (s, a) => s.split(str(a[0])).join(str(a[1])),
};
const escape = (s: string) => s.replace(/[\\\]^-]/g, '\\$&');

const FILTERS: Record<string, (v: Value) => Value> = {
  trim: (v) => str(v).trim(),
  length: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : 0),
  tojson: (v) => JSON.stringify(v),
  upper: (v) => str(v).toUpperCase(),
  lower: (v) => str(v).toLowerCase(),
  string: (v) => str(v),
};

class Parser {
  #i = 0;
  constructor(private readonly toks: Tok[]) {}
  get done() {
    return this.#i >= this.toks.length;
  }
  peek(v?: string): boolean {
    const t = this.toks[this.#i];
    return t !== undefined && (v === undefined || ((t.t === 'op' || t.t === 'name') && t.v === v));
  }
  take(v?: string): Tok {
    const t = this.toks[this.#i];
    if (!t || (v !== undefined && t.v !== v)) throw new ChatTemplateError(`chat template: expected "${v ?? 'more'}"${t ? ` but found "${t.v}"` : ''}`);
    this.#i++;
    return t;
  }
  name(): string {
    const t = this.take();
    if (t.t !== 'name') throw new ChatTemplateError(`chat template: expected a name, found "${t.v}"`);
    return t.v;
  }
  expr(): Expr {
    return this.ternary();
  }
  ternary(): Expr {
    const a = this.or();
    if (this.peek('if')) {
      this.take('if');
      const cond = this.or();
      const b = this.peek('else') ? (this.take('else'), this.or()) : () => '';
      return (s) => (truthy(cond(s)) ? a(s) : b(s));
    }
    return a;
  }
  or(): Expr {
    let a = this.and();
    while (this.peek('or')) {
      this.take();
      const l = a;
      const r = this.and();
      a = (s) => (truthy(l(s)) ? l(s) : r(s));
    }
    return a;
  }
  and(): Expr {
    let a = this.not();
    while (this.peek('and')) {
      this.take();
      const l = a;
      const r = this.not();
      a = (s) => truthy(l(s)) && truthy(r(s));
    }
    return a;
  }
  not(): Expr {
    if (this.peek('not')) {
      this.take();
      const a = this.not();
      return (s) => !truthy(a(s));
    }
    return this.compare();
  }
  compare(): Expr {
    let a = this.additive();
    for (;;) {
      const l = a;
      if (['==', '!=', '<', '>', '<=', '>='].some((o) => this.peek(o))) {
        const op = this.take().v;
        const r = this.additive();
        a = (s) => {
          const x = l(s) as number;
          const y = r(s) as number;
          return op === '==' ? x === y : op === '!=' ? x !== y : op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y;
        };
      } else if (this.peek('in') || (this.peek('not') && this.toks[this.#i + 1]?.v === 'in')) {
        const negate = this.peek('not') ? (this.take(), true) : false;
        this.take('in');
        const r = this.additive();
        a = (s) => {
          const c = r(s);
          const x = l(s);
          const has = Array.isArray(c) || typeof c === 'string' ? (c as string).includes(x as string) : c !== null && typeof c === 'object' && Object.hasOwn(c, str(x));
          return negate ? !has : has;
        };
      } else if (this.peek('is')) {
        this.take();
        const negate = this.peek('not') ? (this.take(), true) : false;
        const test = this.name();
        a = (s) => {
          const v = l(s);
          const r = test === 'defined' ? v !== undefined : test === 'none' ? v === null : test === 'string' ? typeof v === 'string' : test === 'undefined' ? v === undefined : null;
          if (r === null) throw new ChatTemplateError(`chat template: the test "is ${test}" is not supported`);
          return negate ? !r : r;
        };
      } else return a;
    }
  }
  additive(): Expr {
    let a = this.multiplicative();
    while (this.peek('+') || this.peek('-') || this.peek('~')) {
      const op = this.take().v;
      const l = a;
      const r = this.multiplicative();
      a = (s) => {
        const x = l(s);
        const y = r(s);
        if (op === '~') return str(x) + str(y);
        if (op === '-') return (x as number) - (y as number);
        if (typeof x === 'number' && typeof y === 'number') return x + y;
        if (Array.isArray(x) && Array.isArray(y)) return [...x, ...y];
        if (typeof x !== 'string' || typeof y !== 'string') throw new ChatTemplateError('chat template: + of a string and a non-string');
        return x + y;
      };
    }
    return a;
  }
  multiplicative(): Expr {
    let a = this.unary();
    while (this.peek('*') || this.peek('/') || this.peek('%')) {
      const op = this.take().v;
      const l = a;
      const r = this.unary();
      a = (s) => {
        const x = l(s) as number;
        const y = r(s) as number;
        return op === '*' ? x * y : op === '/' ? x / y : ((x % y) + y) % y;
      };
    }
    return a;
  }
  unary(): Expr {
    if (this.peek('-')) {
      this.take();
      const a = this.unary();
      return (s) => -(a(s) as number);
    }
    return this.postfix();
  }
  postfix(): Expr {
    let a = this.primary();
    for (;;) {
      const base = a;
      if (this.peek('.')) {
        this.take();
        const key = this.name();
        if (this.peek('(')) {
          const args = this.args();
          a = (s) => {
            const v = base(s);
            const m = STRING_METHODS[key];
            if (typeof v === 'string' && m)
              return m(
                v,
                args.map((x) => x(s)),
              );
            if (key === 'items' && v && typeof v === 'object') return Object.entries(v);
            throw new ChatTemplateError(`chat template: the method ${key}() is not supported`);
          };
        } else a = (s) => member(base(s), key);
      } else if (this.peek('[')) {
        this.take();
        const start = this.peek(':') ? null : this.expr();
        if (this.peek(':')) {
          this.take();
          const end = this.peek(']') ? null : this.expr();
          this.take(']');
          a = (s) => {
            const v = base(s);
            if (!Array.isArray(v) && typeof v !== 'string') return undefined;
            return v.slice(start ? (start(s) as number) : 0, end ? (end(s) as number) : undefined);
          };
        } else {
          this.take(']');
          a = (s) => member(base(s), start!(s));
        }
      } else if (this.peek('|')) {
        this.take();
        const f = this.name();
        const filter = FILTERS[f];
        if (!filter) throw new ChatTemplateError(`chat template: the filter "${f}" is not supported`);
        a = (s) => filter(base(s));
      } else return a;
    }
  }
  args(): Expr[] {
    this.take('(');
    const args: Expr[] = [];
    while (!this.peek(')')) {
      args.push(this.expr());
      if (!this.peek(')')) this.take(',');
    }
    this.take(')');
    return args;
  }
  primary(): Expr {
    const t = this.take();
    if (t.t === 'str') {
      let v = t.v;
      // Adjacent string literals concatenate, as in Python.
      while (this.toks[this.#i]?.t === 'str') v += this.take().v;
      return () => v;
    }
    if (t.t === 'num') return () => Number(t.v);
    if (t.t === 'op' && t.v === '(') {
      const e = this.expr();
      this.take(')');
      return e;
    }
    if (t.t === 'op' && t.v === '[') {
      const items: Expr[] = [];
      while (!this.peek(']')) {
        items.push(this.expr());
        if (!this.peek(']')) this.take(',');
      }
      this.take(']');
      return (s) => items.map((x) => x(s));
    }
    if (t.t === 'name') {
      if (t.v === 'true' || t.v === 'True') return () => true;
      if (t.v === 'false' || t.v === 'False') return () => false;
      if (t.v === 'none' || t.v === 'None') return () => null;
      if (t.v === 'raise_exception') {
        const args = this.args();
        return (s) => {
          throw new ChatTemplateError(`chat template: ${str(args[0]?.(s))}`);
        };
      }
      const name = t.v;
      return (s) => lookup(s, name);
    }
    throw new ChatTemplateError(`chat template: unexpected "${t.v}"`);
  }
}

export function expression(src: string): Expr {
  const p = new Parser(lex(src));
  const e = p.expr();
  if (!p.done) throw new ChatTemplateError(`chat template: unexpected text in "{{ ${src.slice(0, 40)} }}"`);
  return e;
}
