import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useRef, type ReactNode } from 'react';
import { ForestPlot } from '../components/charts/ForestPlot.tsx';
import { KaplanMeierChart, styleOf as curveStyle } from '../components/charts/KaplanMeierChart.tsx';
import { LovePlot } from '../components/charts/LovePlot.tsx';
import { ChartExport, CsvExport } from '../components/export/ExportButtons.tsx';
import { Card } from '../components/ui/Card.tsx';
import { Definition } from '../components/ui/Definition.tsx';
import { EmptyState } from '../components/ui/EmptyState.tsx';
import { LoadingState } from '../components/ui/LoadingState.tsx';
import { PageHeader } from '../components/ui/PageHeader.tsx';
import { QueryState } from '../components/ui/QueryState.tsx';
import { seesSuppressedCounts } from '../data/access.ts';
import {
  BALANCE_CSV,
  COMPARE_FILTERS,
  ESTIMATE_CSV,
  RATE_CSV,
  KM_CSV,
  SUBGROUPINGS,
  SUBGROUP_CSV,
  SUBGROUP_LABELS,
  ci,
  compareInput,
  countText,
  estimateRows,
  kmCsvRows,
  loveRows,
  medianText,
  pText,
  rateRows,
  signed,
  summarySentences,
  type Adjusted,
  covariatesText,
  type ComparePageFilters,
  type Crude,
  type Matched,
} from '../data/compare.ts';
import { formatDecimal, formatPercent, SUPPRESSION_NOTE } from '../data/format.ts';
import { CHANGE_DEFINITION, changeUnit, definitionLabel, definitionSentence, denominatorSentence, measureLabel, windowLabel, type OutcomeMeasure } from '../data/outcomes.ts';
import { useSignedInUser } from '../hooks/useSession.ts';
import { useUrlFilters } from '../hooks/useUrlFilters.ts';
import { sectionOf } from '../sections.ts';
import { useTRPC } from '../trpc.ts';
import { CompareFilterBar } from './compare/CompareFilterBar.tsx';
import './outcomes/outcomes.css';
import './compare/compare.css';

export function ComparePage() {
  const trpc = useTRPC();
  const me = useSignedInUser();
  const { filters, setFilters, resetFilters, isDefault } = useUrlFilters(COMPARE_FILTERS);
  const input = compareInput(filters);
  const options = useQuery(trpc.outcomes.filterOptions.queryOptions());
  const crude = useQuery({ ...trpc.compare.crude.queryOptions(input), placeholderData: keepPreviousData });
  const adjusted = useQuery({ ...trpc.compare.adjusted.queryOptions(input), placeholderData: keepPreviousData });
  const matched = useQuery({ ...trpc.compare.matched.queryOptions({ query: input, caliperSd: 0.2 }), enabled: filters.matching === 'on', placeholderData: keepPreviousData });
  const suppressed = seesSuppressedCounts(me.role);
  const measure = filters.measure as OutcomeMeasure;

  const empty = (
    <EmptyState
      title="No episodes to compare with these filters"
      action={!isDefault ? <button type="button" className="button" onClick={() => resetFilters()}>Reset filters</button> : undefined}
    >
      {isDefault ? 'No outcome data yet: import the practice’s records on the Data page.' : 'Widen the date range or remove a filter.'}
    </EmptyState>
  );

  return (
    <>
      <PageHeader title="Compare" summary={sectionOf('/compare')?.summary} />
      <CompareFilterBar filters={filters} options={options.data} onChange={(p) => setFilters(p)} onReset={() => resetFilters()} isDefault={isDefault} />
      <p className="scope-line" aria-live="polite">
        Interventional against conservative care: {measureLabel(measure)} at {windowLabel(filters.window)}, both care paths
        {filters.carePath ? ' (the care-path filter of the Outcomes page does not apply here)' : ''}. A positive difference means interventional episodes improved more.
        {suppressed ? ` ${SUPPRESSION_NOTE}` : null}
      </p>
      <QueryState
        query={crude}
        errorTitle="Could not load the comparison"
        loading={<LoadingState variant="tiles" count={3} label="Comparing the care paths" />}
        isEmpty={(c) => c.interventional.withBaseline === 0 && c.conservative.withBaseline === 0}
        empty={empty}
      >
        {(c) => <CompareBody crude={c} adjusted={adjusted.data} adjustedQuery={adjusted} filters={filters} setFilters={setFilters} matched={matched.data?.matched} matchedLoading={matched.isFetching} />}
      </QueryState>
    </>
  );
}

type BodyProps = {
  crude: Crude;
  adjusted: Adjusted | undefined;
  adjustedQuery: Parameters<typeof QueryState<Adjusted, unknown>>[0]['query'];
  filters: ComparePageFilters;
  setFilters: (p: Partial<ComparePageFilters>) => void;
  matched: Matched | null | undefined;
  matchedLoading: boolean;
};

function CompareBody({ crude, adjusted, adjustedQuery, filters, setFilters, matched, matchedLoading }: BodyProps) {
  const measure = filters.measure as OutcomeMeasure;
  const unit = changeUnit(measure);
  const s = summarySentences(crude, adjusted, filters);
  const rows = estimateRows(crude, adjusted, filters.matching === 'on' ? matched : undefined);
  const window = windowLabel(filters.window);
  return (
    <>
      <section className={`compare-summary compare-summary--${s.verdict.tone}`} aria-label="Summary">
        <p className="compare-summary__lead">{s.lead}</p>
        {s.responders ? <p>{s.responders}</p> : null}
        <p className="compare-summary__verdict">
          <strong>{s.verdict.headline}</strong>
        </p>
        {s.verdict.details.length ? (
          <ul className="compare-summary__details">
            {s.verdict.details.map((d) => (
              <li key={d}>{d}</li>
            ))}
          </ul>
        ) : null}
      </section>

      <Card
        title={`Difference in mean change at ${window}: crude and adjusted`}
        subtitle={`Interventional − conservative, ${unit}; complete cases (a baseline and a follow-up in the window).`}
        actions={
          <>
            <Definition of="the estimates">{CHANGE_DEFINITION} The paths are not randomised: the crude difference mixes the effect of the path with who is sent to it. The adjusted estimates compare like with like on {covariatesText(adjusted?.adjusted)}.</Definition>
            <CsvExport filename={`compare-estimates-${measure}-${filters.window}`} columns={ESTIMATE_CSV} rows={rows} />
          </>
        }
        footnote={
          <>
            Welch t-test (unequal variances) with its 95% CI; Hedges g {signed(crude.hedges?.estimate, 2)} (95% CI {ci(crude.hedges?.lower, crude.hedges?.upper, 2)}), pooled SD, small-sample corrected. ANCOVA: least squares of the follow-up score on path and baseline
            (coefficient of path in change terms, classical SE). Propensity model: logistic regression of path on {covariatesText(adjusted?.adjusted)}; stabilised inverse-probability weights truncated at the 1st and 99th percentiles. Doubly robust: weighted least squares of change on path and the same covariates; robust (HC1 sandwich) SEs treating the weights as known.
          </>
        }
      >
        <table className="table compare-estimates">
          <thead>
            <tr>
              <th scope="col">Method</th>
              <th scope="col">What it estimates</th>
              <th scope="col" className="numeric">Difference</th>
              <th scope="col" className="numeric">95% CI</th>
              <th scope="col" className="numeric">p</th>
              <th scope="col" className="numeric">n (I vs C)</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} className={r.headline ? 'is-headline' : undefined}>
                <th scope="row">
                  {r.method}
                  <span className="table__sub">{r.note}</span>
                </th>
                <td>{r.estimand}</td>
                <td className="numeric">{signed(r.estimate, 2)}</td>
                <td className="numeric">{ci(r.lower, r.upper, 2)}</td>
                <td className="numeric">{r.key === 'matched' ? '—' : pText(r.p)}</td>
                <td className="numeric">{r.n}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {adjustedQuery.isPending ? <LoadingState label="Fitting the propensity model" /> : null}
        {filters.matching === 'off' ? (
          <button type="button" className="button button--small" onClick={() => setFilters({ matching: 'on' })}>
            Add the matched comparison (second method)
          </button>
        ) : matchedLoading && !matched ? (
          <LoadingState label="Matching episodes" />
        ) : null}
      </Card>

      <RespondersCard crude={crude} adjusted={adjusted} filters={filters} />

      <QueryState query={adjustedQuery} errorTitle="Could not load the adjusted comparison" loading={<LoadingState variant="chart" label="Fitting the propensity model" />}>
        {(a) => (
          <>
            <BalanceCard adjusted={a} matched={filters.matching === 'on' ? matched : undefined} />
            <SubgroupCard adjusted={a} filters={filters} setFilters={setFilters} unit={unit} />
            <DurabilityCard adjusted={a} filters={filters} setFilters={setFilters} />
          </>
        )}
      </QueryState>
    </>
  );
}

function RespondersCard({ crude, adjusted, filters }: { crude: Crude; adjusted: Adjusted | undefined; filters: ComparePageFilters }) {
  const measure = filters.measure as OutcomeMeasure;
  const r = crude.responders;
  const a = adjusted?.adjusted.responders;
  const i = crude.interventional;
  const c = crude.conservative;
  const den = filters.denominator === 'complete_case';
  const comp = crude.complications;
  return (
    <Card
      title="Responders and complications"
      subtitle={crude.respondersApply ? `${definitionLabel(filters.definition, measure)} at ${windowLabel(filters.window)}; ${den ? 'complete case' : 'intention to treat'}.` : 'Responders: not defined for this measure and definition.'}
      actions={
        <>
          <Definition of="responders">{definitionSentence(filters.definition, measure)} {denominatorSentence(filters.denominator)}</Definition>
          <CsvExport filename={`compare-responders-complications-${measure}-${filters.window}`} columns={RATE_CSV} rows={rateRows(crude, filters.denominator)} />
        </>
      }
      footnote="Risk difference with Newcombe’s hybrid score interval; relative risk with the log interval; number needed to treat = 1 / risk difference, shown only when the interval excludes no difference (rounded up). Adjusted: weighted risk difference (doubly robust linear probability model, HC1), complete cases. Complications: episodes with at least one recorded complication of any of their treatments, of the episodes matching the filters with a complication status (none, minor or major) recorded for at least one treatment; a path whose treatments have no status recorded has no rate."
    >
      <table className="table">
        <thead>
          <tr>
            <th scope="col" />
            <th scope="col" className="numeric">Interventional</th>
            <th scope="col" className="numeric">Conservative</th>
            <th scope="col" className="numeric">Difference (95% CI)</th>
            <th scope="col" className="numeric">Relative risk (95% CI)</th>
          </tr>
        </thead>
        <tbody>
          {r ? (
            <tr>
              <th scope="row">
                Responders
                <span className="table__sub">{r.nnt ? `NNT ${Math.ceil(r.nnt.nnt)} (${r.nnt.kind === 'NNTB' ? 'benefit' : 'harm'}), 95% CI ${formatDecimal(r.nnt.lower, 1)} to ${formatDecimal(r.nnt.upper, 1)}` : 'NNT not shown: the interval includes no difference'}</span>
              </th>
              <td className="numeric">
                {formatPercent(r.p1)}
                <span className="table__sub">{countText(i.responders)} of {countText(den ? i.complete : i.withBaseline)}</span>
              </td>
              <td className="numeric">
                {formatPercent(r.p0)}
                <span className="table__sub">{countText(c.responders)} of {countText(den ? c.complete : c.withBaseline)}</span>
              </td>
              <td className="numeric">
                {r.riskDifference.estimate === null ? '—' : `${signed(r.riskDifference.estimate * 100, 1)} per 100`}
                <span className="table__sub">{ci(pct(r.riskDifference.lower), pct(r.riskDifference.upper))}{a?.doublyRobust ? `; adjusted ${signed(a.doublyRobust.estimate * 100)} (${ci(a.doublyRobust.lower * 100, a.doublyRobust.upper * 100)})` : ''}</span>
              </td>
              <td className="numeric">
                {formatDecimal(r.relativeRisk.estimate, 2)}
                <span className="table__sub">{ci(r.relativeRisk.lower, r.relativeRisk.upper, 2)}</span>
              </td>
            </tr>
          ) : null}
          {(['any', 'major'] as const).map((k) => (
            <tr key={k}>
              <th scope="row">{k === 'any' ? 'Any complication' : 'Major complication'}</th>
              <td className="numeric">
                {formatPercent(comp[k].p1, 1)}
                <span className="table__sub">{comp[k].n1 === 0 ? 'no status recorded' : `${countText(comp[k].x1)} of ${countText(comp[k].n1)}`}</span>
              </td>
              <td className="numeric">
                {formatPercent(comp[k].p0, 1)}
                <span className="table__sub">{comp[k].n0 === 0 ? 'no status recorded' : `${countText(comp[k].x0)} of ${countText(comp[k].n0)}`}</span>
              </td>
              <td className="numeric">
                {comp[k].riskDifference.estimate === null ? '—' : `${signed(comp[k].riskDifference.estimate! * 100, 1)} per 100`}
                <span className="table__sub">{ci(pct(comp[k].riskDifference.lower), pct(comp[k].riskDifference.upper))}</span>
              </td>
              <td className="numeric">
                {formatDecimal(comp[k].relativeRisk.estimate, 2)}
                <span className="table__sub">{ci(comp[k].relativeRisk.lower, comp[k].relativeRisk.upper, 2)}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

const pct = (x: number | null) => (x === null ? null : x * 100);

function ChartCard({ title, subtitle, footnote, csv, children, definition }: { title: string; subtitle: ReactNode; footnote: ReactNode; csv?: ReactNode; children: ReactNode; definition?: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  return (
    <Card
      title={title}
      subtitle={subtitle}
      footnote={footnote}
      actions={
        <>
          {definition}
          <ChartExport target={ref} title={title} />
          {csv}
        </>
      }
    >
      <div ref={ref}>{children}</div>
    </Card>
  );
}

function BalanceCard({ adjusted, matched }: { adjusted: Adjusted; matched: Matched | null | undefined }) {
  const a = adjusted.adjusted;
  if (a.status !== 'ok') {
    return (
      <Card title="Balance and overlap" subtitle="The adjusted comparison is not available.">
        <p className="compare-warning">{a.reason}</p>
      </Card>
    );
  }
  return (
    <ChartCard
      title="Balance of the covariates before and after weighting"
      subtitle={`Standardised mean differences (SMD) between the paths; ${countText(a.n1)} interventional and ${countText(a.n0)} conservative episodes with a follow-up and every covariate.`}
      definition={<Definition of="balance">SMD = difference in means / pooled SD (before weighting, for both columns), binary covariates with √(p(1−p)). |SMD| &lt; 0.1 is balanced. Balance is necessary, not sufficient: covariates that are not recorded cannot be balanced.</Definition>}
      csv={<CsvExport filename="compare-balance" columns={BALANCE_CSV} rows={a.balance} />}
      footnote={
        <>
          Propensity model fitted over {a.patterns === null ? 'the episodes' : `${a.patterns.toLocaleString('en-US')} distinct covariate patterns (exact)`}; weights truncated at {formatDecimal(a.weights?.lowerCut, 2)} and {formatDecimal(a.weights?.upperCut, 2)} ({a.weights?.nTruncated.toLocaleString('en-US')} weights moved);
          effective sample size {Math.round(a.weights?.ess1 ?? 0).toLocaleString('en-US')} interventional, {Math.round(a.weights?.ess0 ?? 0).toLocaleString('en-US')} conservative. Propensity scores: interventional {formatDecimal(a.overlap?.treated.min, 3)}–{formatDecimal(a.overlap?.treated.max, 3)}, conservative {formatDecimal(a.overlap?.control.min, 3)}–{formatDecimal(a.overlap?.control.max, 3)};
          {' '}{formatPercent(a.overlap?.outsideShare, 1)} of episodes outside the common support.
        </>
      }
    >
      {a.warnings.length ? (
        <ul className="compare-warning">
          {a.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      ) : (
        <p className="compare-ok">Every covariate is balanced after weighting (|SMD| &lt; 0.1) and the paths overlap well.</p>
      )}
      <LovePlot rows={loveRows(a.balance)} title="Love plot: |SMD| before and after weighting" />
      {a.propensity ? (
        <details className="compare-details">
          <summary>Propensity model: who is sent to interventional care (odds ratios)</summary>
          <table className="table table--dense">
            <thead>
              <tr>
                <th scope="col">Covariate</th>
                <th scope="col" className="numeric">Odds ratio</th>
                <th scope="col" className="numeric">95% CI</th>
                <th scope="col" className="numeric">p</th>
              </tr>
            </thead>
            <tbody>
              {a.propensity.coefficients
                .filter((c) => c.name !== '(Intercept)')
                .map((c) => (
                  <tr key={c.name}>
                    <th scope="row">{c.label}{c.name.startsWith('condition_') && a.propensity?.referenceCondition ? ` (vs ${a.propensity.referenceCondition})` : c.name.startsWith('sex_') && a.propensity?.referenceSex ? ` (vs ${a.propensity.referenceSex})` : ''}</th>
                    <td className="numeric">{formatDecimal(c.oddsRatio, 2)}</td>
                    <td className="numeric">{ci(c.lower, c.upper, 2)}</td>
                    <td className="numeric">{pText(c.p)}</td>
                  </tr>
                ))}
            </tbody>
          </table>
          <p className="card__footnote">Logistic regression of the care path on the covariates (maximum likelihood, model-based SEs), fitted in {a.propensity.iterations} Newton steps; per year of age, per point of baseline score, per month of pain duration, per prior procedure.</p>
        </details>
      ) : null}
      {matched && matched.status === 'ok' ? (
        <div className="compare-matched">
          <h3 className="card__title">Matched comparison (1:1 nearest neighbour, caliper {matched.caliperSd} SD of the logit)</h3>
          <p>
            {countText(matched.pairs)} pairs; {countText(matched.unmatchedTreated)} of {countText(matched.nTreated)} interventional episodes found no conservative episode within the caliper (caliper {formatDecimal(matched.caliper, 3)} on the logit scale).
            Difference in mean change among the matched: {signed(matched.difference?.mean, 2)} (95% CI {ci(matched.difference?.lower, matched.difference?.upper, 2)}).
          </p>
          {matched.warnings.map((w) => (
            <p key={w} className="compare-warning">{w}</p>
          ))}
          <LovePlot
            rows={matched.balance.map((b) => ({ label: b.label, before: b.smdBefore === null ? null : Math.abs(b.smdBefore), after: b.smdAfter === null ? null : Math.abs(b.smdAfter), imbalanced: b.balanced === false }))}
            title="Love plot: |SMD| before and after matching"
            afterLabel="Matched pairs"
          />
        </div>
      ) : matched && matched.status !== 'ok' ? (
        <p className="compare-warning">Matched comparison: {matched.reason}</p>
      ) : null}
    </ChartCard>
  );
}

function SubgroupCard({ adjusted, filters, setFilters, unit }: { adjusted: Adjusted; filters: ComparePageFilters; setFilters: (p: Partial<ComparePageFilters>) => void; unit: string }) {
  const fam = adjusted.subgroups.families.find((f) => f.by === filters.subgroup) ?? adjusted.subgroups.families[0];
  if (!fam) return null;
  const overall = adjusted.adjusted.doublyRobust?.estimate ?? adjusted.adjusted.ipw?.diff ?? null;
  const title = `Effect by ${SUBGROUP_LABELS[fam.by].toLowerCase()}`;
  return (
    <ChartCard
      title={title}
      subtitle={
        <>
          Difference in mean change (interventional − conservative, {unit}) within each subgroup, {adjusted.subgroups.adjusted ? 'weighted with the propensity weights and regression-adjusted' : 'crude (the adjusted comparison is not available)'}, 95% CI.{' '}
          <span className="segmented__options compare-inline-options" role="group" aria-label="Subgroups">
            {SUBGROUPINGS.map((g) => (
              <button key={g} type="button" className={g === fam.by ? 'button button--small is-selected' : 'button button--small'} aria-pressed={g === fam.by} onClick={() => setFilters({ subgroup: g })}>
                {SUBGROUP_LABELS[g]}
              </button>
            ))}
          </span>
        </>
      }
      csv={<CsvExport filename={`compare-subgroups-${fam.by}`} columns={SUBGROUP_CSV} rows={fam.rows} />}
      footnote={
        <>
          Interaction test (Cochran’s Q across subgroups, inverse-variance weights): {fam.interaction ? `Q = ${formatDecimal(fam.interaction.q, 1)}, df ${fam.interaction.df}, ${pText(fam.interaction.p)}${fam.interaction.i2 !== null ? `, I² ${formatPercent(fam.interaction.i2)}` : ''}` : 'not available'}. Subgroups with fewer than 30 episodes on either path are marked “small” and drawn hollow:
          their intervals are wide and their estimates unstable. Each subgroup’s outcome is first adjusted by the doubly robust model’s covariate terms, so what weighting leaves unbalanced within a subgroup does not bias it. The dashed line is the overall doubly robust difference. HC1 sandwich SEs.
        </>
      }
    >
      <ForestPlot rows={fam.rows} overall={overall} unit={unit} title={title} />
    </ChartCard>
  );
}

function DurabilityCard({ adjusted, filters, setFilters }: { adjusted: Adjusted; filters: ComparePageFilters; setFilters: (p: Partial<ComparePageFilters>) => void }) {
  const d = adjusted.durability;
  if (!d.applies) {
    return (
      <Card title="How long the response lasts" subtitle="Durability is defined on the pain score (NRS).">
        <p>Choose Pain (NRS 0-10) as the measure to see how long responses last.</p>
      </Card>
    );
  }
  const byCat = filters.km === 'category';
  const curves = byCat ? d.byCategory : d.byPath;
  const lr = byCat ? d.logRankCategory : d.logRank;
  const title = byCat ? 'How long the response lasts, by treatment category' : 'How long the response lasts, by care path';
  return (
    <ChartCard
      title={title}
      subtitle={
        <>
          Kaplan-Meier estimate of the share of responders still responding, from the index date to loss of response or a repeat procedure; {countText(d.n)} episodes that responded, {countText(d.events)} events.{' '}
          <span className="segmented__options compare-inline-options" role="group" aria-label="Curves">
            {(['path', 'category'] as const).map((k) => (
              <button key={k} type="button" className={filters.km === k ? 'button button--small is-selected' : 'button button--small'} aria-pressed={filters.km === k} onClick={() => setFilters({ km: k })}>
                {k === 'path' ? 'By care path' : 'By category'}
              </button>
            ))}
          </span>
        </>
      }
      definition={<Definition of="durability">Responders: episodes with a pain score at least 30% below baseline at a follow-up. Loss of response: the first later follow-up back within 30% of baseline. A repeat procedure (same region) also ends the response. Episodes without either are censored at their last follow-up.</Definition>}
      csv={<CsvExport filename={`compare-durability-${filters.km}`} columns={KM_CSV} rows={kmCsvRows(curves)} />}
      footnote={`Log-rank test ${byCat ? 'across categories' : 'between the paths'}: ${lr ? `χ² = ${formatDecimal(lr.chiSquare, 1)}, df ${lr.df}, ${pText(lr.p)}` : 'not available'}. Bands: 95% pointwise intervals (log-log, Greenwood variance), as R's survfit(conf.type = "log-log"); drawn for up to three curves (with more they hide each other: the CSV has every curve's interval). Median: first day the curve is at or below 50%.`}
    >
      <KaplanMeierChart curves={curves} bands={curves.length <= 3} title={title} />
      <table className="table table--dense">
        <thead>
          <tr>
            <th scope="col">{byCat ? 'Category' : 'Care path'}</th>
            <th scope="col" className="numeric">Responders</th>
            <th scope="col" className="numeric">Events</th>
            <th scope="col" className="numeric">Median duration (95% CI)</th>
          </tr>
        </thead>
        <tbody>
          {curves.map((c, i) => (
            <tr key={c.key}>
              <th scope="row">
                <svg width="22" height="10" aria-hidden="true" style={{ marginRight: 6, verticalAlign: 'middle' }}>
                  <line x1="0" x2="22" y1="5" y2="5" stroke={curveStyle(c.key, i).color} strokeWidth="2.5" strokeDasharray={curveStyle(c.key, i).dash} />
                </svg>
                {c.label}
              </th>
              <td className="numeric">{countText(c.n)}</td>
              <td className="numeric">{countText(c.events)}</td>
              <td className="numeric">{medianText(c)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </ChartCard>
  );
}
