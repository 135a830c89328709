// Row shapes the store hands out (JSON columns already parsed, snake_case turned into camelCase).
import type { PplProtocol } from '../runtime/ppl-protocol';
export type RunKind = 'slice' | 'ppl' | 'eval' | 'bench' | 'export' | 'generate';
export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface ModelRow {
  id: number;
  path: string;
  name: string;
  family: string;
  kind: 'folder' | 'config';
  paramCount: number;
  config: Record<string, unknown> | null;
  firstSeen: string;
  lastSeen: string;
}

export interface RunRow {
  id: number;
  kind: RunKind;
  modelId: number | null;
  parentRunId: number | null;
  name: string;
  status: RunStatus;
  fingerprint: string | null;
  settings: Record<string, unknown>;
  result: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  ep: string | null;
  peakRss: number | null;
}

export interface MetricInput {
  name: string;
  value: number;
  unit?: string | null;
  task?: string | null;
  stderr?: number | null;
  /** What a perplexity was measured on (dataset, split, windows, seqlen); null for other metrics. */
  protocol?: PplProtocol | null;
}
export interface MetricRow extends Required<MetricInput> {
  id: number;
  runId: number;
}

export interface LayerStatInput {
  layer: number;
  phase: string;
  seconds?: number | null;
  keptVariance?: number | null;
  /** Stored as the 64 largest, descending. */
  eigenvalues?: number[] | null;
  dims?: Record<string, number> | number[] | null;
}
export interface LayerStatRow {
  id: number;
  runId: number;
  layer: number;
  phase: string;
  seconds: number | null;
  keptVariance: number | null;
  eigenvalues: number[] | null;
  dims: Record<string, number> | number[] | null;
}

export interface ArtifactInput {
  path: string;
  kind: string;
  format: string;
  bytes?: number | null;
  sha256?: string | null;
  runtime?: string | null;
}
export interface ArtifactRow extends Required<ArtifactInput> {
  id: number;
  runId: number;
  createdAt: string;
}

export interface PhaseRow {
  id: number;
  runId: number;
  phase: string;
  seconds: number;
}

export interface RunDetail extends RunRow {
  metrics: MetricRow[];
  layers: LayerStatRow[];
  artifacts: ArtifactRow[];
  phases: PhaseRow[];
}

export interface RunFilter {
  kind?: RunKind;
  status?: RunStatus;
  modelId?: number;
  parentRunId?: number;
  fingerprint?: string;
  limit?: number;
  offset?: number;
}

export interface CreateRunInput {
  kind: RunKind;
  modelId?: number | null;
  parentRunId?: number | null;
  name?: string;
  fingerprint?: string | null;
  settings?: Record<string, unknown>;
  status?: RunStatus;
  ep?: string | null;
}

export interface RunPatch {
  name?: string;
  modelId?: number | null;
  parentRunId?: number | null;
  status?: RunStatus;
  fingerprint?: string | null;
  settings?: Record<string, unknown>;
  result?: unknown;
  error?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  ep?: string | null;
  peakRss?: number | null;
}
