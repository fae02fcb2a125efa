/**
 * The registry of analytic tasks: name -> pure function (store, input) => output,
 * run in the analytics worker (or in-process in tests) by runTask / runTasks
 * (runtime.ts). A plain list: each page's service adds one import and one
 * spread of its tasks below. Names are '<page>.<what>'. Inputs and outputs
 * cross a thread boundary: plain data only (structured clone), no functions.
 */
import type { AnalyticStore } from './store.ts';
import { outcomeTasks, outcomeWarmUps } from '../outcomes/store-queries.ts';
import { compareTasks, compareWarmUps } from '../compare/tasks.ts';
import { operationsTasks, operationsWarmUps } from '../operations/tasks.ts';
import { cohortTasks } from '../cohorts/tasks.ts';
import { exportTasks } from '../export/slots.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Task = (store: AnalyticStore, input: any) => unknown;

export const TASKS = {
  ...outcomeTasks,
  ...compareTasks,
  ...operationsTasks,
  ...cohortTasks,
  ...exportTasks,
} satisfies Record<string, Task>;

/**
 * Indexes to build while the worker is idle (after loading, and after the data
 * change), as small steps: functions of the store returning the steps. A page
 * whose tasks memoize data-only indexes (store.memoize) may add its own here.
 */
export const WARM_UPS: Array<(store: AnalyticStore) => Array<() => void>> = [outcomeWarmUps, operationsWarmUps, compareWarmUps];
