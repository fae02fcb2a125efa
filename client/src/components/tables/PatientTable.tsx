import { formatDecimal, formatIsoDate } from '../../data/format.ts';
import type { PatientList } from '../../data/outcomes.ts';

type Props = {
  rows: PatientList['rows'];
  unit: string;
  windowLabel: string;
  onOpen: (episodeId: number) => void;
  openId: number;
};

/** The episodes of a selected group: who, when, what, and the scores the figures used. Patient-level data. */
export function PatientTable({ rows, unit, windowLabel, onOpen, openId }: Props) {
  return (
    <div className="table-wrap">
      <table className="table table--dense patient-table">
        <caption className="visually-hidden">Episodes of the selected group, newest index date first</caption>
        <thead>
          <tr>
            <th scope="col">Index date</th>
            <th scope="col">MRN</th>
            <th scope="col">Age, sex</th>
            <th scope="col">Treatment</th>
            <th scope="col">Condition</th>
            <th scope="col">Provider</th>
            <th scope="col" className="numeric">
              Baseline
            </th>
            <th scope="col" className="numeric">
              {windowLabel}
            </th>
            <th scope="col" className="numeric">
              Change
              <span className="table__sub">{unit}</span>
            </th>
            <th scope="col">Responder</th>
            <th scope="col">
              <span className="visually-hidden">Timeline</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.episodeId} className={r.episodeId === openId ? 'is-selected' : undefined}>
              <td className="nowrap">{formatIsoDate(r.indexDate)}</td>
              <td className="mono">{r.mrn}</td>
              <td className="nowrap">
                {r.age}, {r.sex}
              </td>
              <td>
                {r.category}
                {r.code ? <span className="table__sub mono">{r.code}</span> : null}
              </td>
              <td>{r.condition}</td>
              <td>{r.provider}</td>
              <td className="numeric">{formatDecimal(r.baseline, 1)}</td>
              <td className="numeric">
                {formatDecimal(r.followUp, 1)}
                {r.followUpDay !== null ? (
                  <span className="table__sub">day {r.followUpDay}</span>
                ) : !r.followUpDue ? (
                  <span className="table__sub">not yet due</span>
                ) : (
                  <span className="table__sub">missing</span>
                )}
              </td>
              <td className="numeric">{r.change === null ? '—' : formatDecimal(r.change, 1)}</td>
              <td>{r.responder === null ? '—' : r.responder ? 'Yes' : 'No'}</td>
              <td className="table__actions">
                <button type="button" className="button button--small" onClick={() => onOpen(r.episodeId)} aria-pressed={r.episodeId === openId}>
                  Timeline
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
