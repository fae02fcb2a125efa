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
import { cellOutcomes, durability, weightedParts, type CellOutcomes, type CompareSettings, type DrSpec, type DurabilityResult, type WeightedParts } from './compute.ts';
import type { CompareRows } from './rows.ts';

let helper: { worker: Worker; port: MessagePort; failed: boolean } | null = null;
let nextId = 1;
/** Answers read from the port while waiting for another job's. */
const inbox = new Map<number, { ok: boolean; value?: unknown }>();

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

export type Pending<T> = { result(): T };

/** Sends a job to the helper; `result()` waits for its answer, or computes `inline()` when there is none in 30 s. `answered(value)` is called with the helper's answer. */
function submit<T>(job: Record<string, unknown>, inline: () => T, answered?: (value: T, id: number) => void): Pending<T> {
  if (!isMainThread && !helper) helper = start();
  const h = helper;
  if (!h || h.failed) return { result: inline };
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const id = nextId++;
  try {
    h.port.postMessage({ ...job, id, flag });
  } catch {
    return { result: inline };
  }
  let done: T | undefined;
  return {
    result: () => {
      if (done !== undefined) return done;
      const woke = Atomics.wait(flag, 0, 0, 30_000);
      for (;;) {
        const m = receiveMessageOnPort(h.port) as { message: { id: number; ok: boolean; value?: unknown } } | undefined;
        if (!m) break;
        inbox.set(m.message.id, m.message);
      }
      const answer = inbox.get(id);
      inbox.delete(id);
      if (answer?.ok && woke !== 'timed-out') {
        done = answer.value as T;
        answered?.(done, id);
        return done;
      }
      return (done = inline());
    },
  };
}

/** The Kaplan-Meier part on the helper when the rows are shared (else inline, when asked for). */
export function durabilityAsync(rows: CompareRows, settings: CompareSettings): Pending<DurabilityResult> {
  if (isMainThread || !isShared(rows) || settings.measure !== 'pain_nrs') return { result: () => durability(rows, settings) };
  return submit({ kind: 'durability', rows, settings }, () => durability(rows, settings));
}

/** The helper's job id of cells it computed (and keeps, helper-main.ts), for weightedParts on them. */
const cellsJobOf = new WeakMap<CellOutcomes, number>();

/** Parts of adjustedComparison on the helper; for its `offload`. */
export const helperOffload = isMainThread
  ? undefined
  : {
      /** The cells and their outcome sums (the rows must be shared; the population and patterns are copied). The helper keeps them. */
      cells: (rows: CompareRows, idx: Int32Array, groupOf: Int32Array, G: number, settings: CompareSettings, spec?: DrSpec): Pending<CellOutcomes> =>
        isShared(rows)
          ? submit({ kind: 'cells', rows, idx, groupOf, G, settings, spec }, () => cellOutcomes(rows, idx, groupOf, G, settings, spec), (co, id) => cellsJobOf.set(co, id))
          : { result: () => cellOutcomes(rows, idx, groupOf, G, settings, spec) },
      /** The balance table, on the cells the helper computed (inline when it did not, or no longer has them). */
      weighted: (co: CellOutcomes, weight: Float64Array, spec: DrSpec, settings: CompareSettings): Pending<WeightedParts> => {
        const cellsId = cellsJobOf.get(co);
        const inline = () => weightedParts(co, weight, spec, settings);
        return cellsId === undefined ? { result: inline } : submit({ kind: 'weighted', cellsId, weight, settings }, inline);
      },
    };
