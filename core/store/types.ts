// Row shapes the store hands out (JSON columns already parsed, snake_case turned into camelCase).
import type { PplProtocol } from '../runtime/ppl-protocol';
/** What a run did; the runs table's CHECK lists the same (migrations.ts). A job kind maps to one (JobDefinition.runKind). */
export const RUN_KINDS = ['slice', 'ppl', 'eval', 'bench', 'export', 'generate', 'verify', 'fingerprint'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
/** Statuses of a run that has not ended: its owner process must be alive for it to mean anything. */
export const LIVE_STATUSES = ['queued', 'running'] as const;

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
  /** The process that runs (or ran) it: PID and start identity (core/files/process-identity.ts). */
  ownerPid: number | null;
  ownerStart: string | null;
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
  ownerPid?: number | null;
  ownerStart?: string | null;
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
  ownerPid?: number | null;
  ownerStart?: string | null;
}
