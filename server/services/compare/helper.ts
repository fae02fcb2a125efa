/**
 * A second thread for the comparison: inside the analytics worker, the
 * Kaplan-Meier curves (durability) are computed by a helper thread on the same
 * rows (shared memory, no copy) while the worker fits the propensity and
 * outcome models, and the task waits for the curves at the end (Atomics.wait:
 * tasks are synchronous). Anywhere else (tests, the in-process runtime), or
 * if the helper fails or is slow, the curves are computed inline: the result
 * is the same function of the same rows either way.
 */
import { isMainThread, MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { durability, type CompareSettings, type DurabilityResult } from './compute.ts';
import type { CompareRows } from './rows.ts';

let helper: { worker: Worker; port: MessagePort; failed: boolean } | null = null;
let nextId = 1;

function start(): typeof helper {
  if (isMainThread) return null;
  try {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL('./helper.mjs', import.meta.url), { workerData: { port: port2 }, transferList: [port2] });
    worker.unref();
    const h = { worker, port: port1, failed: false };
    worker.on('error', () => (h.failed = true));
    worker.on('exit', () => (h.failed = true));
    return h;
  } catch {
    return null;
  }
}

const isShared = (rows: CompareRows) => rows.path.buffer instanceof SharedArrayBuffer;

export type Pending = { result(): DurabilityResult };

/** Starts the durability computation on the helper when it can; `result()` waits for it (or computes it inline). */
export function durabilityAsync(rows: CompareRows, settings: CompareSettings): Pending {
  if (!isMainThread && !helper) helper = start();
  const h = helper;
  if (!h || h.failed || !isShared(rows) || settings.measure !== 'pain_nrs') return { result: () => durability(rows, settings) };
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const id = nextId++;
  h.port.postMessage({ id, rows, settings, flag });
  return {
    result: () => {
      // The helper answers within the time the curves take; wait at most 30 s, then compute here.
      const woke = Atomics.wait(flag, 0, 0, 30_000);
      for (;;) {
        const m = receiveMessageOnPort(h.port) as { message: { id: number; ok: boolean; value?: DurabilityResult } } | undefined;
        if (!m) break;
        if (m.message.id === id && m.message.ok && woke !== 'timed-out') return m.message.value!;
      }
      return durability(rows, settings);
    },
  };
}
