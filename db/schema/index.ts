export * from './imports.ts';
export * from './practice.ts';
export * from './patients.ts';
export * from './care.ts';
export * from './observations.ts';
export * from './outcomes.ts';
export * from './auth.ts';
export * from './cohorts.ts';
