/**
 * The helper thread's loop: computes the Kaplan-Meier part of a comparison
 * on rows shared with the analytics worker (SharedArrayBuffers) while that
 * worker fits the adjusted analysis, and answers on the port it was given,
 * raising a shared flag so the worker can wait for it synchronously.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { durability, type CompareSettings } from './compute.ts';
import type { CompareRows } from './rows.ts';

const port = (workerData as { port: MessagePort }).port;
port.on('message', (m: { id: number; rows: CompareRows; settings: CompareSettings; flag: Int32Array }) => {
  try {
    port.postMessage({ id: m.id, ok: true, value: durability(m.rows, m.settings) });
  } catch (e) {
    port.postMessage({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
  }
  Atomics.store(m.flag, 0, 1);
  Atomics.notify(m.flag, 0);
});
