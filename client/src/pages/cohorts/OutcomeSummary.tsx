import { CARE_PATH_STYLES } from '../../components/charts/palette.ts';
import { formatDecimal, formatPercent } from '../../data/format.ts';
import { countText, type Characterisation } from '../../data/cohorts.ts';

type Outcomes = Characterisation['outcomes'];

/** The outcome engine's figures for each group: follow-up, mean change with its CI, responders with theirs. */
export function OutcomeSummary({ outcomes, unit }: { outcomes: Outcomes; unit: string }) {
  const groups = [...outcomes.groups, { ...outcomes.overall, key: 'all', label: 'All' }];
  return (
    <div className="table-scroll">
      <table className="cohort-table" data-testid="outcome-summary">
        <thead>
          <tr>
            <th scope="col">Group</th>
            <th scope="col" className="numeric">Episodes</th>
            <th scope="col" className="numeric">Follow-up (complete / with baseline)</th>
            <th scope="col" className="numeric">Mean change ({unit}, 95 % CI)</th>
            <th scope="col" className="numeric">{outcomes.respondersApply ? 'Responders (95 % CI)' : 'Responders'}</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.key ?? 'none'}>
              <th scope="row">
                {g.key && g.key in CARE_PATH_STYLES ? <span className="swatch" style={{ background: CARE_PATH_STYLES[g.key as keyof typeof CARE_PATH_STYLES].color }} aria-hidden="true" /> : null}
                {g.label}
              </th>
              <td className="numeric">{countText(g.episodes)}</td>
              <td className="numeric">
                {formatPercent(g.followUp.p)} ({countText(g.complete)} / {countText(g.withBaseline)})
              </td>
              <td className="numeric">
                {g.change.mean === null ? '—' : `${formatDecimal(g.change.mean, 2)} (${formatDecimal(g.change.lower, 2)} to ${formatDecimal(g.change.upper, 2)})`} <span className="muted">n {countText(g.change.n)}</span>
              </td>
              <td className="numeric">
                {g.responders === null ? 'not defined for this measure' : g.responders.p === null ? '—' : `${formatPercent(g.responders.p)} (${formatPercent(g.responders.lower)} to ${formatPercent(g.responders.upper)})`}
                {g.responders ? <span className="muted"> {countText(g.responders.x)} / {countText(g.responders.n)}</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
