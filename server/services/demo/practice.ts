/**
 * The demo practice's people and places: a Colorado Front Range pain practice
 * with four clinics. Names are invented. Patients live near their clinic; a
 * few come from rural Wyoming, New Mexico and the Texas panhandle, or have an
 * out-of-state address, whose ZIP prefixes HIPAA Safe Harbor restricts
 * (domain.md, "Privacy"), so de-identification has something to do.
 */
import type { CarePath } from '../../../db/schema/vocabulary.ts';

export type DemoSite = {
  key: string;
  name: string;
  /** Share of patients. */
  weight: number;
  /** Real ZIP codes around the clinic. */
  zips: readonly string[];
  collectsOdi: boolean;
  collectsPromis: boolean;
};

export const SITES: readonly DemoSite[] = [
  {
    key: 'DEN',
    name: 'Front Range Pain & Spine - Denver',
    weight: 0.4,
    zips: ['80202', '80203', '80205', '80206', '80209', '80210', '80211', '80218', '80219', '80220', '80222', '80224', '80227', '80231', '80012', '80013', '80014', '80015', '80016', '80111', '80112', '80120', '80121', '80122', '80123', '80214', '80215', '80226', '80228', '80232', '80004', '80005', '80020', '80031', '80033'],
    collectsOdi: true,
    collectsPromis: false,
  },
  {
    key: 'COS',
    name: 'Front Range Pain & Spine - Colorado Springs',
    weight: 0.25,
    zips: ['80903', '80904', '80905', '80906', '80907', '80909', '80910', '80911', '80915', '80916', '80917', '80918', '80919', '80920', '80921', '80922', '80923', '80831', '80132', '80817'],
    collectsOdi: false,
    collectsPromis: false,
  },
  {
    key: 'FTC',
    name: 'Front Range Pain & Spine - Fort Collins',
    weight: 0.2,
    zips: ['80521', '80524', '80525', '80526', '80528', '80538', '80537', '80534', '80550', '80631', '80634', '80620', '80549', '80547'],
    collectsOdi: false,
    collectsPromis: true,
  },
  {
    key: 'PUB',
    name: 'Front Range Pain & Spine - Pueblo',
    weight: 0.15,
    zips: ['81001', '81003', '81004', '81005', '81006', '81007', '81008', '81212', '81050', '81082', '81069', '81019'],
    collectsOdi: false,
    collectsPromis: false,
  },
];

/**
 * ZIPs whose 3-digit prefix Safe Harbor restricts (they become 000 in a
 * de-identified export), with relative weights: near neighbours (Wyoming,
 * New Mexico, the Texas panhandle) are common, distant addresses rare. One
 * real ZIP per restricted prefix, all 17 prefixes present.
 */
export const RESTRICTED_ZIPS: ReadonlyArray<readonly [string, number]> = [
  ['82190', 4], // 821 Yellowstone NP, WY
  ['82301', 6], // 823 Rawlins, WY
  ['83001', 5], // 830 Jackson, WY
  ['83101', 4], // 831 Kemmerer, WY
  ['87801', 5], // 878 Socorro, NM
  ['87901', 4], // 879 Truth or Consequences, NM
  ['88401', 5], // 884 Tucumcari, NM
  ['79065', 4], // 790 Pampa, TX
  ['89301', 1], // 893 Ely, NV
  ['89001', 1], // 890 Alamo, NV
  ['69201', 1], // 692 Valentine, NE
  ['55604', 1], // 556 Grand Marais, MN
  ['03601', 0.5], // 036 Alstead, NH
  ['05901', 0.5], // 059 Averill, VT
  ['06390', 0.5], // 063 Fishers Island, NY (CT prefix)
  ['10200', 0.5], // 102 New York, NY (unique ZIPs)
  ['20301', 0.5], // 203 Washington, DC (Pentagon)
];
/** Share of patients with a restricted-prefix ZIP. */
export const RESTRICTED_ZIP_SHARE = 0.02;
/** Share of patients with no ZIP on file. */
export const MISSING_ZIP_SHARE = 0.01;

export type ProviderRole = 'interventional' | 'conservative' | 'both' | 'physical_therapy' | 'psychology';

export type DemoProvider = {
  key: string;
  name: string;
  specialty: string;
  siteKey: string;
  role: ProviderRole;
  /** Relative follow-up survey completion (normalised per path so it averages exactly 1; see missingness in docs). */
  completion: number;
};

export const PROVIDERS: readonly DemoProvider[] = [
  { key: 'DEN-01', name: 'Sarah Lindqvist, MD', specialty: 'Anesthesiology - Pain Medicine', siteKey: 'DEN', role: 'interventional', completion: 1.08 },
  { key: 'DEN-02', name: 'Marcus Okafor, MD', specialty: 'Anesthesiology - Pain Medicine', siteKey: 'DEN', role: 'interventional', completion: 0.9 },
  { key: 'DEN-03', name: 'Elena Ruiz, DO', specialty: 'PM&R - Pain Medicine', siteKey: 'DEN', role: 'both', completion: 1.05 },
  { key: 'DEN-04', name: 'James Whitfield, MD', specialty: 'Physical Medicine & Rehabilitation', siteKey: 'DEN', role: 'conservative', completion: 0.95 },
  { key: 'DEN-05', name: 'Priya Natarajan, PhD', specialty: 'Pain Psychology', siteKey: 'DEN', role: 'psychology', completion: 1 },
  { key: 'DEN-06', name: 'Tom Brennan, DPT', specialty: 'Physical Therapy', siteKey: 'DEN', role: 'physical_therapy', completion: 1 },
  { key: 'COS-01', name: 'David Chen, MD', specialty: 'Anesthesiology - Pain Medicine', siteKey: 'COS', role: 'interventional', completion: 1.02 },
  { key: 'COS-02', name: 'Rachel Goldberg, MD', specialty: 'PM&R - Pain Medicine', siteKey: 'COS', role: 'both', completion: 0.88 },
  { key: 'COS-03', name: 'Amy Soto, DPT', specialty: 'Physical Therapy', siteKey: 'COS', role: 'physical_therapy', completion: 1 },
  { key: 'FTC-01', name: 'Michael Haugen, MD', specialty: 'PM&R - Interventional Pain', siteKey: 'FTC', role: 'interventional', completion: 1.1 },
  { key: 'FTC-02', name: 'Karen Liu, NP', specialty: 'Nurse Practitioner - Pain Management', siteKey: 'FTC', role: 'conservative', completion: 1.06 },
  { key: 'FTC-03', name: 'Ben Ortega, DPT', specialty: 'Physical Therapy', siteKey: 'FTC', role: 'physical_therapy', completion: 1 },
  { key: 'PUB-01', name: 'Luis Archuleta, MD', specialty: 'Anesthesiology - Pain Medicine', siteKey: 'PUB', role: 'both', completion: 0.92 },
  { key: 'PUB-02', name: 'Hannah Moore, MD', specialty: 'Family Medicine - Pain Management', siteKey: 'PUB', role: 'conservative', completion: 0.86 },
];

/** Physicians who lead episodes of a path at a site (an episode's provider is one of them, uniformly). */
export function episodeProviders(siteKey: string, path: CarePath): DemoProvider[] {
  return PROVIDERS.filter((p) => p.siteKey === siteKey && (p.role === path || p.role === 'both'));
}

/** The site's physical therapist; Pueblo refers PT out, so its PT rows have no provider. */
export function therapist(siteKey: string): DemoProvider | null {
  return PROVIDERS.find((p) => p.siteKey === siteKey && p.role === 'physical_therapy') ?? null;
}

/** The practice's psychologist sees every site's patients (in person in Denver, by video elsewhere). */
export const PSYCHOLOGIST = PROVIDERS.find((p) => p.role === 'psychology')!;

/**
 * Each (provider, path) pair's follow-up completion factor, scaled so that its
 * average over the episodes of the path is exactly 1: P(visit | path) is then
 * COMPLETION[w] for both paths, and completeness varies by provider without
 * changing which episodes (by condition, baseline or path) are complete.
 */
export function completionFactors(): Map<string, number> {
  const out = new Map<string, number>();
  for (const path of ['interventional', 'conservative'] as const) {
    let mean = 0;
    const shares: Array<[DemoProvider, number]> = [];
    for (const site of SITES) {
      const list = episodeProviders(site.key, path);
      for (const p of list) shares.push([p, site.weight / list.length]);
    }
    for (const [p, share] of shares) mean += share * p.completion;
    for (const [p] of shares) out.set(`${p.key}|${path}`, p.completion / mean);
  }
  return out;
}
