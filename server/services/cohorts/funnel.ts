/**
 * The attrition funnel: a cohort definition's criteria applied in order to
 * the episode columns (data.ts), with the episodes and patients remaining
 * after each. Pure functions over typed arrays, no I/O.
 *
 * Each criterion's match is a byte mask over all episodes, computed once and
 * kept (by the criterion's canonical text) for the data copy, so editing one
 * criterion recomputes that mask and the running AND, not the others.
 */
import { CARE_PATHS, FOLLOW_UP_WINDOW_NAMES, REGIONS, SEXES, TREATMENT_CATEGORIES } from '../../../db/schema/vocabulary.ts';
import { parseIsoDate } from '../../domain/dates.ts';
import { NONE16, NONE8, type CohortData } from './data.ts';
import { conditionMatches, criterionKey, type CohortDefinition, type Criterion } from './definition.ts';

export type FunnelStep = {
  /** Episodes and patients remaining after this criterion. */
  episodes: number;
  patients: number;
};

export type Funnel = {
  /** Every episode of the practice (before the first criterion). */
  start: FunnelStep;
  steps: FunnelStep[];
  /** 1 for the episodes in the cohort. */
  members: Uint8Array;
};

/** 1 where the criterion's condition holds (before `exclude` is applied). */
export function criterionMask(data: CohortData, c: Criterion): Uint8Array {
  const n = data.n;
  const mask = new Uint8Array(n);
  switch (c.type) {
    case 'condition': {
      const ok = new Uint8Array(data.conditionCodes.length);
      data.conditionCodes.forEach((code, k) => {
        ok[k] = code !== null && c.codes.some((p) => conditionMatches(code, p)) ? 1 : 0;
      });
      const col = data.conditionCode;
      for (let i = 0; i < n; i++) mask[i] = ok[col[i]!]!;
      break;
    }
    case 'carePath': {
      const ok = new Uint8Array(CARE_PATHS.length);
      for (const p of c.paths) ok[CARE_PATHS.indexOf(p)] = 1;
      const col = data.carePath;
      for (let i = 0; i < n; i++) mask[i] = ok[col[i]!]!;
      break;
    }
    case 'treatment': {
      let bits = 0;
      const catOk = new Uint8Array(256);
      for (const cat of c.categories) {
        const k = TREATMENT_CATEGORIES.indexOf(cat);
        bits |= 1 << k;
        catOk[k] = 1;
      }
      const codeOk = new Uint8Array(Math.max(NONE16 + 1, data.codes.length));
      const wanted = new Set(c.codes);
      let anyCode = false;
      data.codes.forEach((code, k) => {
        if (code !== null && wanted.has(code)) {
          codeOk[k] = 1;
          anyCode = true;
        }
      });
      if (c.scope === 'primary') {
        const cat = data.primaryCategory;
        const code = data.primaryCode;
        for (let i = 0; i < n; i++) mask[i] = catOk[cat[i]!]! | codeOk[code[i]!]!;
      } else {
        const cm = data.categoryMask;
        const start = data.codeStart;
        const list = data.codeList;
        for (let i = 0; i < n; i++) {
          let m = (cm[i]! & bits) !== 0 ? 1 : 0;
          if (!m && anyCode) {
            for (let j = start[i]!, e = start[i + 1]!; j < e; j++)
              if (codeOk[list[j]!]) {
                m = 1;
                break;
              }
          }
          mask[i] = m;
        }
      }
      break;
    }
    case 'indexDate': {
      const from = c.from ? parseIsoDate(c.from)! : -Infinity;
      const to = c.to ? parseIsoDate(c.to)! : Infinity;
      const col = data.indexDay;
      for (let i = 0; i < n; i++) mask[i] = col[i]! >= from && col[i]! <= to ? 1 : 0;
      break;
    }
    case 'age':
      rangeMask(mask, data.age, c.min, c.max);
      break;
    case 'sex': {
      const ok = new Uint8Array(SEXES.length);
      for (const s of c.sexes) ok[SEXES.indexOf(s)] = 1;
      const col = data.sex;
      for (let i = 0; i < n; i++) mask[i] = ok[col[i]!]!;
      break;
    }
    case 'region': {
      const ok = new Uint8Array(256);
      for (const r of c.regions) ok[r === 'unrecorded' ? NONE8 : REGIONS.indexOf(r)] = 1;
      const col = data.region;
      for (let i = 0; i < n; i++) mask[i] = ok[col[i]!]!;
      break;
    }
    case 'baseline': {
      // Values are stored as float32: compare with the bounds rounded the same way, so "max 7.3" keeps a stored 7.3.
      const col = data.baselineOf(c.measure);
      const lo = c.min === null ? -Infinity : Math.fround(c.min);
      const hi = c.max === null ? Infinity : Math.fround(c.max);
      for (let i = 0; i < n; i++) {
        const v = col[i]!;
        mask[i] = v >= lo && v <= hi ? 1 : 0; // NaN (no baseline) fails both
      }
      break;
    }
    case 'painDuration': {
      const col = data.painDuration;
      if (c.is === 'chronic') for (let i = 0; i < n; i++) mask[i] = col[i]! > 3 ? 1 : 0;
      else if (c.is === 'not_chronic') for (let i = 0; i < n; i++) mask[i] = col[i]! <= 3 ? 1 : 0;
      else for (let i = 0; i < n; i++) mask[i] = Number.isNaN(col[i]!) ? 1 : 0;
      break;
    }
    case 'priorProcedures':
      rangeMask(mask, data.priorProcedures, c.min, c.max);
      break;
    case 'followUp': {
      const col = data.followUpOf(c.measure);
      const bit = 1 << FOLLOW_UP_WINDOW_NAMES.indexOf(c.window);
      for (let i = 0; i < n; i++) mask[i] = (col[i]! & bit) !== 0 ? 1 : 0;
      break;
    }
  }
  return mask;
}

function rangeMask(mask: Uint8Array, col: ArrayLike<number>, min: number | null, max: number | null): void {
  const lo = min ?? -Infinity;
  const hi = max ?? Infinity;
  for (let i = 0; i < mask.length; i++) mask[i] = col[i]! >= lo && col[i]! <= hi ? 1 : 0;
}

/** Masks already computed for a data copy, by criterion key (least recently used dropped first). */
export class MaskCache {
  private readonly masks = new Map<string, Uint8Array>();
  constructor(private readonly limit = 24) {}
  get(data: CohortData, c: Criterion): Uint8Array {
    const key = criterionKey(c);
    let m = this.masks.get(key);
    if (m) {
      this.masks.delete(key);
    } else {
      m = criterionMask(data, c);
      if (this.masks.size >= this.limit) this.masks.delete(this.masks.keys().next().value!);
    }
    this.masks.set(key, m);
    return m;
  }
}

const caches = new WeakMap<CohortData, MaskCache>();
/** The mask cache of a data copy (dropped with it). */
export function maskCacheFor(data: CohortData): MaskCache {
  let c = caches.get(data);
  if (!c) caches.set(data, (c = new MaskCache()));
  return c;
}

/** Applies the criteria in order: the episodes and patients remaining after each, and the final members. */
export function runFunnel(data: CohortData, def: Pick<CohortDefinition, 'criteria'>, masks: MaskCache = maskCacheFor(data)): Funnel {
  const n = data.n;
  const members = data.alive ? Uint8Array.from(data.alive) : new Uint8Array(n).fill(1);
  const stamp = new Int32Array(data.patientIdLimit);
  const patients = data.patientId;
  const count = (step: number): FunnelStep => {
    let e = 0;
    let p = 0;
    for (let i = 0; i < n; i++) {
      if (members[i] === 0) continue;
      e++;
      const pid = patients[i]!;
      if (stamp[pid] !== step) {
        stamp[pid] = step;
        p++;
      }
    }
    return { episodes: e, patients: p };
  };
  const start = count(1);
  const steps: FunnelStep[] = [];
  def.criteria.forEach((c, k) => {
    const mask = masks.get(data, c);
    // Apply and count in one pass over the episodes.
    const flip = c.exclude ? 1 : 0;
    const step = k + 2;
    let e = 0;
    let p = 0;
    for (let i = 0; i < n; i++) {
      if (members[i] === 0) continue;
      if ((mask[i]! ^ flip) === 0) {
        members[i] = 0;
        continue;
      }
      e++;
      const pid = patients[i]!;
      if (stamp[pid] !== step) {
        stamp[pid] = step;
        p++;
      }
    }
    steps.push({ episodes: e, patients: p });
  });
  return { start, steps, members };
}

/** The members' episode ids ascending, with each one's patient id and index day (aligned). */
export function memberRows(data: CohortData, members: Uint8Array): { episodeIds: Int32Array; patientIds: Int32Array; indexDays: Int32Array } {
  let k = 0;
  for (let i = 0; i < data.n; i++) k += members[i]!;
  const rows = new Int32Array(k);
  let j = 0;
  for (let i = 0; i < data.n; i++) if (members[i]) rows[j++] = i;
  // Rows of the shared store are in no particular order: sort by episode id.
  const ids = data.episodeId;
  let sorted = true;
  for (let q = 1; q < k; q++)
    if (ids[rows[q]!]! < ids[rows[q - 1]!]!) {
      sorted = false;
      break;
    }
  if (!sorted) rows.sort((a, b) => ids[a]! - ids[b]!);
  return {
    episodeIds: Int32Array.from(rows, (r) => ids[r]!),
    patientIds: Int32Array.from(rows, (r) => data.patientId[r]!),
    indexDays: Int32Array.from(rows, (r) => data.indexDay[r]!),
  };
}

/** The episode ids of the members, ascending. */
export function memberIds(data: CohortData, members: Uint8Array): Int32Array {
  return memberRows(data, members).episodeIds;
}
