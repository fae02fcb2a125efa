import { CsvExport } from '../../components/export/ExportButtons.tsx';
import { ComparisonTable } from '../../components/tables/ComparisonTable.tsx';
import { Card } from '../../components/ui/Card.tsx';
import { Definition } from '../../components/ui/Definition.tsx';
import { EmptyState } from '../../components/ui/EmptyState.tsx';
import { LoadingState } from '../../components/ui/LoadingState.tsx';
import { QueryState } from '../../components/ui/QueryState.tsx';
import { COMPARE_BY, comparisonCsv, countText, rateText, type Comparison, type FollowUp, type OperationsPageFilters, type OpsQuery } from '../../data/operations.ts';
import { ChartFrame, CompletionChart } from './ChartFrame.tsx';

export const COMPLETION_DEFINITION =
  'With a baseline: episodes with a score of the measure in the 30 days up to the index date. Follow-up completed: of the episodes with a baseline whose window has closed by today, those with a score in the window. Episodes whose window is still open are left out (scored or not), so recent months are neither counted as missed surveys nor flattered by early ones.';

type Props = {
  filters: OperationsPageFilters;
  setFilters: (patch: Partial<OperationsPageFilters>) => void;
  followUp: OpsQuery<FollowUp>;
  comparison: OpsQuery<Comparison>;
  windowLabel: string;
  measureLabel: string;
  definitionLabel: string;
  suppressed: boolean;
};

export function FollowUpSection({ filters, setFilters, followUp, comparison, windowLabel, measureLabel, definitionLabel, suppressed }: Props) {
  const groupTitle = filters.compare === 'provider' ? 'Provider' : 'Site';
  const toggle = (
    <fieldset className="filter segmented">
      <legend className="filter__label">Compare</legend>
      <div className="segmented__options">
        {COMPARE_BY.map((b) => (
          <label key={b} className="segmented__option">
            <input type="radio" name="compare" checked={filters.compare === b} onChange={() => setFilters({ compare: b })} />
            <span>{b === 'provider' ? 'Providers' : 'Sites'}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
  return (
    <>
      <Card
        title={`Follow-up survey completion, ${windowLabel}`}
        subtitle={`${measureLabel}: share of due follow-ups with a score, per ${groupTitle.toLowerCase()} and index quarter.`}
        actions={
          <>
            {toggle}
            <Definition of="follow-up completion">{COMPLETION_DEFINITION}</Definition>
          </>
        }
        footnote={
          <>
            {COMPLETION_DEFINITION} {suppressed ? 'Counts of 1 to 10 are withheld for your role, and so are rates built on them.' : null}
          </>
        }
      >
        <QueryState query={followUp} errorTitle="Could not load the follow-up completion" loading={<LoadingState variant="chart" />} isEmpty={(f) => f.groups.length === 0} empty={<EmptyState title="No episodes match these filters" />}>
          {(f) => (
            <div className="card-grid card-grid--tight">
              <ChartFrame title={`Follow-up completion ${windowLabel} by ${groupTitle.toLowerCase()}`}>
                <CompletionChart followUp={f} />
              </ChartFrame>
              <div>
                <div className="ops-chart__exports">
                  <CsvExport
                    filename={`Follow-up completion ${windowLabel} by ${groupTitle.toLowerCase()}`}
                    columns={[
                      { header: groupTitle, value: (g: FollowUp['groups'][number]) => g.label },
                      { header: 'Episodes', value: (g) => (typeof g.episodes === 'number' ? g.episodes : g.episodes.display) },
                      { header: 'Share with a baseline', value: (g) => g.baseline.p },
                      { header: 'Follow-ups due', value: (g) => (typeof g.completion.n === 'number' ? g.completion.n : g.completion.n.display) },
                      { header: 'Follow-ups completed', value: (g) => (typeof g.completion.x === 'number' ? g.completion.x : g.completion.x.display) },
                      { header: 'Follow-up completion', value: (g) => g.completion.p },
                      ...f.buckets.map((b, i) => ({ header: `Completion ${b.label}`, value: (g: FollowUp['groups'][number]) => g.series[i]?.completion.p ?? null })),
                    ]}
                    rows={f.groups}
                  />
                </div>
                <table className="table table--dense">
                  <caption className="visually-hidden">Follow-up completion by {groupTitle.toLowerCase()}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{groupTitle}</th>
                      <th scope="col" className="numeric">
                        Episodes
                      </th>
                      <th scope="col" className="numeric">
                        With a baseline
                      </th>
                      <th scope="col" className="numeric">
                        Completed, {windowLabel}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {[...f.groups]
                      .sort((a, b) => (a.completion.p ?? 2) - (b.completion.p ?? 2))
                      .map((g) => (
                        <tr key={g.key}>
                          <th scope="row">{g.label}</th>
                          <td className="numeric">{countText(g.episodes)}</td>
                          <td className="numeric">{rateText(g.baseline)}</td>
                          <td className="numeric">
                            <span className="figure">{rateText(g.completion)}</span>
                            <span className="table__sub">
                              {countText(g.completion.x)} of {countText(g.completion.n)}
                            </span>
                          </td>
                        </tr>
                      ))}
                  </tbody>
                </table>
                <p className="ops-note">Lowest completion first: who may need help collecting surveys.</p>
              </div>
            </div>
          )}
        </QueryState>
      </Card>

      <Card
        title={`${groupTitle} comparison`}
        subtitle={`Volume, procedure mix, follow-up completion and responders (${measureLabel}, ${definitionLabel.toLowerCase()} at ${windowLabel}) with 95% Wilson intervals. Click a column to sort.`}
        actions={toggle}
        footnote={
          <>
            Procedure sessions in the date range by the procedure’s provider; episodes, follow-up and responders by the episode’s provider and index date. Responders:
            of the episodes with a baseline and a score at {windowLabel} (complete cases), whose window has closed. {suppressed ? 'Counts of 1 to 10 are withheld for your role; so are the rates and intervals built on them.' : null}
          </>
        }
      >
        <QueryState query={comparison} errorTitle="Could not load the comparison" loading={<LoadingState />} isEmpty={(c) => c.rows.length === 0} empty={<EmptyState title="Nothing to compare" />}>
          {(c) => (
            <>
              <div className="ops-chart__exports">
                <CsvExport filename={`${groupTitle} comparison ${windowLabel}`} columns={comparisonCsv} rows={[...c.rows, c.practice]} />
              </div>
              <ComparisonTable comparison={c} groupTitle={groupTitle} windowLabel={windowLabel} definitionLabel={definitionLabel} />
            </>
          )}
        </QueryState>
      </Card>
    </>
  );
}
