// Datasets from the Hugging Face Hub, for when the machine is online. Rows come from the Hub's
// datasets-server (`/splits`, then `/rows` 100 at a time: JSON, so no parquet reader is needed) and
// are cached as JSONL under <data dir>/cache/hub/, so each split is downloaded once. A cached split is
// used without touching the network. Offline, with nothing cached, the error says what to do instead.
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { dataDir } from '../base/paths';
import { DatasetError, type TextDataset } from './dataset';

export interface HubDatasetRequest {
  /** Hub dataset id, e.g. 'wikitext', 'tatsu-lab/alpaca', 'allenai/c4'. */
  dataset: string;
  /** Config (subset) name, e.g. 'wikitext-2-raw-v1'; default: the first config that has the split. */
  config?: string;
  split: string;
  /** The column holding each document's text (default 'text'). */
  column?: string;
  /** Download at most this many rows (big splits such as C4's). */
  maxRows?: number;
}

export interface HubOptions {
  /** Default: <dataDir()>/cache/hub. */
  cacheDir?: string;
  /** Injected for environments with their own HTTP stack; default: global fetch. */
  fetch?: typeof globalThis.fetch;
  signal?: AbortSignal;
  /** The datasets-server base URL (default https://datasets-server.huggingface.co). */
  server?: string;
  /** Called after each page of rows: (rows so far, total rows to fetch). */
  onProgress?: (done: number, total: number) => void;
}

/** The Hub cannot be reached (offline, DNS, proxy) and the split is not cached. */
export class HubUnavailableError extends DatasetError {
  override name = 'HubUnavailableError';
}

const DEFAULT_SERVER = 'https://datasets-server.huggingface.co';
const PAGE = 100;

export function hubCacheDir(): string {
  return join(dataDir(), 'cache', 'hub');
}

/** Where a request's rows are cached (one JSON string per line). */
export function hubCachePath(req: HubDatasetRequest, cacheDir = hubCacheDir()): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
  const name = `${safe(req.split)}-${safe(req.column ?? 'text')}${req.maxRows ? `-max${req.maxRows}` : ''}.jsonl`;
  return join(cacheDir, safe(req.dataset), safe(req.config ?? '_default'), name);
}

/**
 * The cached rows, one JSON string per line. A cache we wrote is never corrupt, so a bad line means damage
 * (a disk error, an edit, another program): the file is moved aside to `<file>.corrupt` (kept for a look,
 * never read again) and the error says to run again, which downloads the split afresh.
 */
async function readCache(cached: string, name: string): Promise<string[]> {
  const rows: string[] = [];
  let problem: string | null = null;
  try {
    const st = statSync(cached);
    if (!st.isFile()) problem = 'it is not a regular file';
    else {
      const lines = (await readFile(cached, 'utf8')).split('\n');
      for (let i = 0; i < lines.length && problem === null; i++) {
        if (lines[i].length === 0) continue;
        let v: unknown;
        try {
          v = JSON.parse(lines[i]);
        } catch {
          problem = `line ${i + 1} is not valid JSON`;
          break;
        }
        if (typeof v !== 'string') problem = `line ${i + 1} is not a text row`;
        else rows.push(v);
      }
      if (problem === null && rows.length === 0) problem = 'it holds no rows';
    }
  } catch (e) {
    problem = `it cannot be read (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`;
  }
  if (problem === null) return rows;
  let moved = '';
  try {
    rmSync(`${cached}.corrupt`, { recursive: true, force: true });
    renameSync(cached, `${cached}.corrupt`);
    moved = `; it was moved aside to ${basename(cached)}.corrupt — run again to download ${name} afresh`;
  } catch {
    moved = `; remove ${cached} and run again to download it afresh`;
  }
  throw new DatasetError(`the cached copy of ${name} is damaged: ${problem}${moved}`);
}

export async function hubDataset(req: HubDatasetRequest, opts: HubOptions = {}): Promise<TextDataset> {
  const name = `${req.dataset}${req.config ? `/${req.config}` : ''}/${req.split}`;
  const cached = hubCachePath(req, opts.cacheDir);
  if (existsSync(cached)) return { name, rows: await readCache(cached, name) };
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  const server = opts.server ?? DEFAULT_SERVER;
  const get = async (url: string): Promise<any> => {
    let res: Response;
    try {
      res = await fetchImpl(url, { signal: opts.signal });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new HubUnavailableError(`cannot reach the Hugging Face Hub to download ${name} (${cause}): connect to the internet and retry, ` + `or download the split yourself and open it as a local .txt/.jsonl dataset`);
    }
    if (res.status === 404) throw new DatasetError(`${name} was not found on the Hugging Face Hub`);
    if (res.status === 401 || res.status === 403) {
      throw new DatasetError(`${name} is gated or private on the Hugging Face Hub; download it yourself and open it as a local dataset`);
    }
    if (!res.ok) throw new HubUnavailableError(`the Hugging Face Hub answered ${res.status} for ${name}; retry later`);
    return res.json();
  };

  let config = req.config;
  if (!config) {
    const splits = (await get(`${server}/splits?dataset=${encodeURIComponent(req.dataset)}`)) as { splits?: Array<{ config: string; split: string }> };
    config = splits.splits?.find((s) => s.split === req.split)?.config;
    if (!config) throw new DatasetError(`${req.dataset} has no split "${req.split}" on the Hugging Face Hub`);
  }
  const column = req.column ?? 'text';
  const rows: string[] = [];
  let total = Infinity;
  for (let offset = 0; offset < Math.min(total, req.maxRows ?? Infinity); offset += PAGE) {
    const length = Math.min(PAGE, (req.maxRows ?? Infinity) - offset);
    const url = `${server}/rows?dataset=${encodeURIComponent(req.dataset)}&config=${encodeURIComponent(config)}` + `&split=${encodeURIComponent(req.split)}&offset=${offset}&length=${length}`;
    const page = (await get(url)) as { rows?: Array<{ row: Record<string, unknown> }>; num_rows_total?: number };
    total = page.num_rows_total ?? 0;
    const got = page.rows ?? [];
    if (got.length === 0) break;
    for (const { row } of got) {
      const value = row[column];
      if (typeof value !== 'string') throw new DatasetError(`${name} has no string column "${column}"`);
      rows.push(value);
    }
    opts.onProgress?.(rows.length, Math.min(total, req.maxRows ?? Infinity));
  }
  if (rows.length === 0) throw new DatasetError(`${name} is empty on the Hugging Face Hub`);
  // Write-then-rename, so that an interrupted download never leaves a half file that looks cached.
  mkdirSync(join(cached, '..'), { recursive: true });
  const tmp = `${cached}.part`;
  writeFileSync(tmp, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  renameSync(tmp, cached);
  return { name, rows };
}
