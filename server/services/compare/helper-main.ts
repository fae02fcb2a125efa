/**
 * The helper thread's loop: computes parts of a comparison on data shared
 * with the analytics worker (SharedArrayBuffers: the gathered rows, the
 * outcome model's design) while that worker fits the other parts, and
 * answers on the port it was given, raising the job's shared flag so the
 * worker can wait for it synchronously (helper.ts).
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { factorOls, type PreparedDesign } from '../../stats/factor-regression.ts';
import { cellOutcomes, durability, type CompareSettings, type DrSpec } from './compute.ts';
import type { CompareRows } from './rows.ts';

type Job =
  | { kind: 'durability'; id: number; flag: Int32Array; rows: CompareRows; settings: CompareSettings }
  | { kind: 'ols'; id: number; flag: Int32Array; design: PreparedDesign; y: Float64Array; options: Parameters<typeof factorOls>[2] }
  | { kind: 'cells'; id: number; flag: Int32Array; rows: CompareRows; idx: Int32Array; groupOf: Int32Array; G: number; settings: CompareSettings; spec?: DrSpec };

const port = (workerData as { port: MessagePort }).port;
port.on('message', (m: Job) => {
  try {
    const value =
      m.kind === 'durability' ? durability(m.rows, m.settings)
      : m.kind === 'cells' ? cellOutcomes(m.rows, m.idx, m.groupOf, m.G, m.settings, m.spec)
      : factorOls(m.design, m.y, m.options);
    port.postMessage({ id: m.id, ok: true, value });
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
  Atomics.store(m.flag, 0, 1);
  Atomics.notify(m.flag, 0);
});
