/**
 * The planted truth as Markdown tables: what docs/demo-practice.md shows
 * (`npm run seed -- --truth` prints it; a test checks the doc is up to date).
 */
import { CONDITION_GROUPS, type CarePath, type TreatmentCategory } from '../../../db/schema/vocabulary.ts';
import { DEMO_CONDITIONS, WINDOWS, type Window } from './model.ts';
import { RESPONDER_DEFINITIONS, plantedTruth } from './truth.ts';

const WINDOW_LABEL: Record<Window, string> = { w2: '2 wk', w6: '6 wk', m3: '3 mo', m6: '6 mo', m12: '12 mo' };
const PATHS: CarePath[] = ['interventional', 'conservative'];
const f3 = (x: number) => x.toFixed(3);
const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)} %`;

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

export function renderTruthMarkdown(): string {
  const t = plantedTruth();
  const categories = Object.keys(t.meanChange.byCategory) as TreatmentCategory[];
  const windowHead = WINDOWS.map((w) => WINDOW_LABEL[w]);
  const out: string[] = [];

  out.push('#### Mean pain NRS change (baseline - follow-up) by care path');
  out.push(
    table(
      ['care path', 'share of episodes', ...windowHead],
      PATHS.map((p) => [p, pct(p === 'interventional' ? t.share.interventional : 1 - t.share.interventional), ...WINDOWS.map((w) => f3(t.meanChange.byPath[p][w]))]),
    ),
  );

  out.push('#### Mean pain NRS change by index treatment category');
  out.push(
    table(
      ['index category', 'share of episodes', ...windowHead],
      categories.map((k) => [k, pct(t.share.byCategory[k]!), ...WINDOWS.map((w) => f3(t.meanChange.byCategory[k]![w]))]),
    ),
  );

  out.push('#### Mean pain NRS change at 3 months by index category and condition');
  out.push(
    table(
      ['index category', ...DEMO_CONDITIONS.map((c) => CONDITION_GROUPS[c].label)],
      categories.map((k) => [k, ...DEMO_CONDITIONS.map((c) => {
        const v = t.meanChange.byCategoryAndCondition[k]?.[c]?.m3;
        return v === undefined ? '' : f3(v);
      })]),
    ),
  );

  out.push('#### Interventional - conservative difference in mean NRS change');
  out.push(
    table(
      ['estimand', ...windowHead],
      [
        ['crude (what a naive comparison estimates)', ...WINDOWS.map((w) => f3(t.pathEffect[w].crude))],
        ['ATE, all episodes (stabilised IPW)', ...WINDOWS.map((w) => f3(t.pathEffect[w].ate))],
        ['ATT, interventional episodes (matching)', ...WINDOWS.map((w) => f3(t.pathEffect[w].att))],
        ['ATC, conservative episodes', ...WINDOWS.map((w) => f3(t.pathEffect[w].atc))],
      ],
    ),
  );
  out.push('#### Conditional (adjusted) path effect by condition');
  out.push(
    table(
      ['condition', 'share of episodes', ...windowHead],
      DEMO_CONDITIONS.map((c) => [CONDITION_GROUPS[c].label, pct(t.share.byCondition[c]), ...WINDOWS.map((w) => f3(t.pathEffect[w].byCondition[c]))]),
    ),
  );
  out.push('#### Covariate means by path (the imbalance before adjustment)');
  out.push(
    table(
      ['care path', 'baseline NRS', 'pain duration (months)'],
      PATHS.map((p) => [p, f3(t.covariates[p].baseline), f3(t.covariates[p].durationMonths)]),
    ),
  );

  const defs = { pct30: '>= 30 %', pct50: '>= 50 %', mcid2: '>= 2 points', painFree: 'follow-up <= 1' };
  out.push('#### Responder probability (complete case) by care path');
  out.push(
    table(
      ['care path', 'definition', ...windowHead],
      PATHS.flatMap((p) => RESPONDER_DEFINITIONS.map((d) => [p, defs[d], ...WINDOWS.map((w) => pct(t.responders.byPath[p][w][d]))])),
    ),
  );
  out.push('#### Responder probability (complete case) at 3 months by index category');
  out.push(
    table(
      ['index category', ...RESPONDER_DEFINITIONS.map((d) => defs[d])],
      categories.map((k) => [k, ...RESPONDER_DEFINITIONS.map((d) => pct(t.responders.byCategory[k]!.m3[d]))]),
    ),
  );

  out.push('#### Mean ODI change (baseline - follow-up) by index category (lumbar and sacroiliac conditions)');
  out.push(
    table(
      ['index category', ...windowHead],
      (Object.keys(t.meanChange.odiByCategory) as TreatmentCategory[]).map((k) => [k, ...WINDOWS.map((w) => f3(t.meanChange.odiByCategory[k]![w]))]),
    ),
  );
  out.push('#### Mean PROMIS change (baseline - follow-up) by care path');
  out.push(
    table(
      ['care path', 'measure', ...windowHead],
      PATHS.flatMap((p) => [
        [p, 'pain interference', ...WINDOWS.map((w) => f3(t.meanChange.promisPiByPath[p][w]))],
        [p, 'physical function', ...WINDOWS.map((w) => f3(t.meanChange.promisPfByPath[p][w]))],
      ]),
    ),
  );

  out.push('#### Opioids (episodes on opioids at baseline)');
  out.push(
    table(
      ['care path', 'on opioids at baseline', 'mean baseline MME', 'figure', ...windowHead],
      PATHS.flatMap((p) => {
        const o = t.opioids[p];
        const lead = [p, pct(o.onOpioidsAtBaseline), f3(o.meanBaselineMme)];
        return [
          [...lead, 'stopped', ...WINDOWS.map((w) => pct(o.byWindow[w].stopped))],
          ['', '', '', 'reduced >= 50 %', ...WINDOWS.map((w) => pct(o.byWindow[w].reduced))],
          ['', '', '', 'mean MME change', ...WINDOWS.map((w) => f3(o.byWindow[w].meanChange))],
          ['', '', '', 'share on opioids', ...WINDOWS.map((w) => pct(o.byWindow[w].onOpioids))],
        ];
      }),
    ),
  );

  out.push('#### Complication probability per session (procedures) or per treatment row (conservative care)');
  out.push(
    table(
      ['category', 'minor', 'major'],
      (Object.keys(t.complications) as TreatmentCategory[]).map((k) => [k, pct(t.complications[k].minor, 2), pct(t.complications[k].major, 2)]),
    ),
  );
  return out.join('\n\n') + '\n';
}
