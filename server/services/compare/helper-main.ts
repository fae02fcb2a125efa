/**
 * The helper thread's loop: computes parts of a comparison on data shared
 * with the analytics worker (SharedArrayBuffers: the gathered rows, the
 * outcome model's design) while that worker fits the other parts, and
 * answers on the port it was given, raising the job's shared flag so the
 * worker can wait for it synchronously (helper.ts).
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { cellOutcomes, durability, weightedParts, type CellOutcomes, type CompareSettings, type DrSpec } from './compute.ts';
import type { CompareRows } from './rows.ts';

type Job =
  | { kind: 'durability'; id: number; flag: Int32Array; rows: CompareRows; settings: CompareSettings }
  | { kind: 'cells'; id: number; flag: Int32Array; rows: CompareRows; idx: Int32Array; groupOf: Int32Array; G: number; settings: CompareSettings; spec?: DrSpec }
  | { kind: 'weighted'; id: number; flag: Int32Array; cellsId: number; weight: Float64Array; settings: CompareSettings };

/** The last cells computed here, with their spec, for the 'weighted' job that follows them. */
let kept: { id: number; cells: CellOutcomes; spec: DrSpec } | null = null;

function weighted(m: Extract<Job, { kind: 'weighted' }>) {
  if (!kept || kept.id !== m.cellsId) throw new Error('the cells of this job are no longer here');
  return weightedParts(kept.cells, m.weight, kept.spec, m.settings);
}

function cells(m: Extract<Job, { kind: 'cells' }>) {
  kept = null;
  const value = cellOutcomes(m.rows, m.idx, m.groupOf, m.G, m.settings, m.spec);
  if (m.spec) kept = { id: m.id, cells: value, spec: m.spec };
  return value;
}

const port = (workerData as { port: MessagePort }).port;
port.on('message', (m: Job) => {
  try {
    const value =
      m.kind === 'durability' ? durability(m.rows, m.settings)
      : m.kind === 'cells' ? cells(m)
      : weighted(m);
    port.postMessage({ id: m.id, ok: true, value });
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
  Atomics.store(m.flag, 0, 1);
  Atomics.notify(m.flag, 0);
});
