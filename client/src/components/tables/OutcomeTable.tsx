import {
  carePathOfCategory,
  changeText,
  ciText,
  countText,
  percentCiText,
  percentText,
  type GroupFigures,
} from '../../data/outcomes.ts';
import { formatDecimal } from '../../data/format.ts';

type Props = {
  caption: string;
  groups: GroupFigures[];
  overall: GroupFigures;
  /** Column title of the group ("Treatment category"). */
  groupTitle: string;
  respondersApply: boolean;
  /** Adds a "Patients" button per row (roles that may see patient-level data). */
  onShowPatients?: (key: string | null, label: string) => void;
  selectedKey?: string | null;
  colourByPath?: boolean;
};

/** Per group: episodes, baseline, follow-up, mean change with its CI, median (IQR), responders with their CI. */
export function OutcomeTable({ caption, groups, overall, groupTitle, respondersApply, onShowPatients, selectedKey, colourByPath }: Props) {
  const row = (g: GroupFigures, total: boolean) => {
    const path = colourByPath ? carePathOfCategory(g.key) : undefined;
    return (
      <tr key={`${total ? 'total' : 'group'}-${g.key}`} className={total ? 'is-total' : g.key === selectedKey ? 'is-selected' : undefined}>
        <th scope="row">
          {path ? <span className="swatch" data-path={path} aria-hidden="true" /> : null}
          {g.label}
        </th>
        <td className="numeric">{countText(g.episodes)}</td>
        <td className="numeric">{countText(g.withBaseline)}</td>
        <td className="numeric">
          {countText(g.complete)}
          <span className="table__sub">{percentText(g.followUp)}</span>
        </td>
        <td className="numeric">
          <span className="figure">{changeText(g.change.mean)}</span>
          <span className="table__sub">{ciText(g.change.lower, g.change.upper)}</span>
        </td>
        <td className="numeric">
          {formatDecimal(g.change.median, 1)}
          <span className="table__sub">{g.change.q1 === null ? '—' : `${formatDecimal(g.change.q1, 1)} to ${formatDecimal(g.change.q3, 1)}`}</span>
        </td>
        {respondersApply ? (
          <td className="numeric">
            <span className="figure">{percentText(g.responders)}</span>
            <span className="table__sub">{percentCiText(g.responders)}</span>
          </td>
        ) : null}
        {onShowPatients ? (
          <td className="table__actions">
            {total ? null : (
              <button type="button" className="button button--small" onClick={() => onShowPatients(g.key, g.label)} aria-pressed={g.key === selectedKey}>
                Patients
              </button>
            )}
          </td>
        ) : null}
      </tr>
    );
  };
  return (
    <div className="table-wrap">
      <table className="table table--dense outcome-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{groupTitle}</th>
            <th scope="col" className="numeric">
              Episodes
            </th>
            <th scope="col" className="numeric">
              With baseline
            </th>
            <th scope="col" className="numeric">
              Followed up
              <span className="table__sub">share of baseline</span>
            </th>
            <th scope="col" className="numeric">
              Mean change
              <span className="table__sub">95% CI</span>
            </th>
            <th scope="col" className="numeric">
              Median change
              <span className="table__sub">IQR</span>
            </th>
            {respondersApply ? (
              <th scope="col" className="numeric">
                Responders
                <span className="table__sub">95% CI</span>
              </th>
            ) : null}
            {onShowPatients ? (
              <th scope="col">
                <span className="visually-hidden">Patients</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>{groups.map((g) => row(g, false))}</tbody>
        <tfoot>{row(overall, true)}</tfoot>
      </table>
    </div>
  );
}
