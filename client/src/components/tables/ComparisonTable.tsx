import { useState } from 'react';
import { COMPARISON_SORTS, countText, mixText, rateCiText, rateText, sortComparison, type Comparison, type ComparisonRow, type ComparisonSort } from '../../data/operations.ts';

const HEADERS: Record<ComparisonSort, string> = {
  label: '',
  sessions: 'Procedure sessions',
  episodes: 'Episodes',
  baseline: 'With a baseline',
  completion: 'Follow-up completed',
  responders: 'Responders',
};

type Props = { comparison: Comparison; groupTitle: string; windowLabel: string; definitionLabel: string };

/**
 * Providers or sites side by side: volume, procedure mix, baseline and
 * follow-up completion, responder rate with its Wilson 95 % interval. Every
 * column sorts (click its header; again to reverse); withheld figures sort last.
 */
export function ComparisonTable({ comparison, groupTitle, windowLabel, definitionLabel }: Props) {
  const [sort, setSort] = useState<{ key: ComparisonSort; dir: 'asc' | 'desc' }>({ key: 'sessions', dir: 'desc' });
  const rows = sortComparison(comparison.rows, sort.key, sort.dir);
  const header = (key: ComparisonSort, label: string) => {
    const active = sort.key === key;
    return (
      <th scope="col" className={key === 'label' ? undefined : 'numeric'} aria-sort={active ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none'}>
        <button
          type="button"
          className="sort-button"
          onClick={() => setSort({ key, dir: active ? (sort.dir === 'asc' ? 'desc' : 'asc') : key === 'label' ? 'asc' : 'desc' })}
        >
          {label}
          <span aria-hidden="true">{active ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };
  const row = (r: ComparisonRow, total: boolean) => (
    <tr key={total ? 'practice' : r.key} className={total ? 'is-total' : undefined}>
      <th scope="row">{r.label}</th>
      <td className="numeric">{countText(r.sessions)}</td>
      <td className="ops-mix">{mixText(r)}</td>
      <td className="numeric">{countText(r.episodes)}</td>
      <td className="numeric">
        {rateText(r.baseline)}
        <span className="table__sub">{countText(r.baseline.x)}</span>
      </td>
      <td className="numeric">
        {rateText(r.completion)}
        <span className="table__sub">
          {countText(r.completion.x)} of {countText(r.completion.n)} due
        </span>
      </td>
      <td className="numeric">
        <span className="figure">{rateText(r.responders)}</span>
        <span className="table__sub">{rateCiText(r.responders)}</span>
      </td>
    </tr>
  );
  return (
    <div className="table-scroll">
      <table className="table ops-comparison">
        <caption className="visually-hidden">
          {groupTitle} comparison: volume, mix, follow-up completion at {windowLabel} and responders ({definitionLabel}) with 95% confidence intervals
        </caption>
        <thead>
          <tr>
            {header('label', groupTitle)}
            {header('sessions', HEADERS.sessions)}
            <th scope="col">Procedure mix</th>
            {COMPARISON_SORTS.slice(2).map((k) => header(k, k === 'completion' ? `Follow-up, ${windowLabel}` : k === 'responders' ? `Responders, ${windowLabel}` : HEADERS[k]))}
          </tr>
        </thead>
        <tbody>{rows.map((r) => row(r, false))}</tbody>
        <tfoot>{row(comparison.practice, true)}</tfoot>
      </table>
    </div>
  );
}
