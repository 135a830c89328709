// Does every control fit the window? For each rendered button, input, select, textarea and link: its box
// lies inside the viewport horizontally (the page never needs a sideways scroll), and inside every
// ancestor that clips (overflow other than visible), so nothing sits cut off in a scroll box.
import type { Page } from 'playwright-core';

export interface Clipped {
  control: string;
  box: { left: number; right: number; top: number; bottom: number };
  why: string;
}

// The check runs in the page as source text: tsx names functions with a helper (__name) that the page lacks.
const CHECK = `(() => {
  const out = [];
  const vw = document.documentElement.clientWidth;
  function describe(el) {
    const name = el.getAttribute('aria-label') ?? el.labels?.[0]?.textContent ?? el.textContent ?? '';
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + name.trim().replace(/\\s+/g, ' ').slice(0, 60) + '"';
  }
  if (document.documentElement.scrollWidth > vw + 1) {
    out.push({ control: 'page', box: { left: 0, right: document.documentElement.scrollWidth, top: 0, bottom: 0 }, why: 'the page is ' + document.documentElement.scrollWidth + 'px wide in a ' + vw + 'px window' });
  }
  for (const el of document.querySelectorAll('button, input, select, textarea, a[href]')) {
    if (el instanceof HTMLInputElement && el.type === 'hidden') continue;
    if (el.closest('.sr-only')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    const box = { left: Math.round(r.left), right: Math.round(r.right), top: Math.round(r.top), bottom: Math.round(r.bottom) };
    if (r.left < -1 || r.right > vw + 1) {
      out.push({ control: describe(el), box, why: 'outside the ' + vw + 'px viewport' });
      continue;
    }
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const s = getComputedStyle(a);
      const clipsX = s.overflowX !== 'visible';
      const clipsY = s.overflowY !== 'visible';
      if (!clipsX && !clipsY) continue;
      const c = a.getBoundingClientRect();
      const outX = clipsX && (r.left < c.left - 1 || r.right > c.right + 1);
      const outY = clipsY && (r.top < c.top - 1 || r.bottom > c.bottom + 1);
      if (outX || outY) {
        out.push({ control: describe(el), box, why: 'cut off by ' + a.tagName.toLowerCase() + '.' + [...a.classList].join('.') + ' (' + Math.round(c.left) + '–' + Math.round(c.right) + ' × ' + Math.round(c.top) + '–' + Math.round(c.bottom) + ')' });
        break;
      }
    }
  }
  return out;
})()`;

export async function clippedControls(page: Page): Promise<Clipped[]> {
  return page.evaluate(CHECK) as Promise<Clipped[]>;
}
