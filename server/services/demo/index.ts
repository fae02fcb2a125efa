export { generateDemoPractice, practiceSpan, seedDemoIfEmpty, type DemoCounts, type DemoOptions, type DemoProgress } from './generate.ts';
export { PLANTED_EFFECTS, plantedTruth, type PlantedTruth } from './truth.ts';
export { DEFAULT_END_DATE, DEFAULT_SEED } from './model.ts';
