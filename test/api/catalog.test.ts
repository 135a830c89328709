// catalog(): the engine's own tables through the API's dispatch and the CLI, so no client keeps a copy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import { callApi } from '../../core/api/dispatch';
import type { Catalog } from '../../core/api/contract';
import { TASKS, TASK_NAMES } from '../../core/eval/tasks/index';
import { FORMATS } from '../../core/export/formats';
import { SUPPORTED_FAMILIES } from '../../core/model/config';
import { cliJson } from '../transports/cli-helpers';

test('catalog through the dispatch lists every family, task, export format and dataset, without loaders or writers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-api-catalog-'));
  const service = await SliceStudioService.create({ storeFile: join(dir, 'store.db'), hardware: { dataDir: dir, probeProviders: false } });
  try {
    const c = (await callApi(service, 'catalog', [])) as Catalog;
    assert.deepEqual(
      c.families.map((f) => f.id),
      [...SUPPORTED_FAMILIES],
    );
    assert.deepEqual(
      c.families.filter((f) => f.gguf).map((f) => `${f.id}:${f.gguf}`),
      ['llama:llama', 'mistral:llama', 'qwen2:qwen2', 'phi3:phi3', 'qwen3:qwen3'],
    );
    assert.deepEqual(
      c.tasks.map((t) => t.name),
      [...TASK_NAMES],
    );
    assert.deepEqual(
      c.tasks.map((t) => [t.label, t.primaryMetric]),
      [
        ['PIQA', 'acc_norm'],
        ['WinoGrande', 'acc'],
        ['HellaSwag', 'acc_norm'],
        ['ARC-e', 'acc_norm'],
        ['ARC-c', 'acc_norm'],
      ],
    );
    for (const t of c.tasks) assert.equal(t.size, TASKS[t.name].size);
    assert.deepEqual(
      c.exportFormats.map((f) => f.id),
      [...FORMATS],
    );
    assert.deepEqual(c.exportFormats.find((f) => f.id === 'gguf')?.output, { kind: 'file', extension: '.gguf' });
    assert.deepEqual(
      c.datasets.map((d) => d.id),
      ['wikitext2', 'alpaca'],
    );
    // What crosses a transport is JSON: no functions survive, so none may be in the reply.
    assert.deepEqual(JSON.parse(JSON.stringify(c)), c);
  } finally {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI prints the same catalog as JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-cli-catalog-'));
  try {
    const c = cliJson<Catalog>(dir, 'catalog', '--json');
    assert.deepEqual(c.tasks.find((t) => t.name === 'arc_easy')?.label, 'ARC-e');
    assert.deepEqual(
      c.exportFormats.map((f) => f.id),
      [...FORMATS],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
