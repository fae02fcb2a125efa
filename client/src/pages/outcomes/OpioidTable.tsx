import { changeText, ciText, countText, ofText, percentCiText, percentText, type Opioids, type Proportion } from '../../data/outcomes.ts';

/** Opioid use by care path: the rows of the spec's "Opioid use", each with its n. */
export function OpioidTable({ opioids, windowLabel }: { opioids: Opioids; windowLabel: string }) {
  const columns = [...opioids.groups, opioids.overall];
  const share = (f: (g: (typeof columns)[number]) => Proportion) =>
    columns.map((g) => (
      <td key={String(g.key)} className="numeric">
        <span className="figure">{percentText(f(g))}</span>
        <span className="table__sub">{ofText(f(g))}</span>
        <span className="table__sub">{percentCiText(f(g))}</span>
      </td>
    ));
  return (
    <div className="table-wrap">
      <table className="table table--dense">
        <caption className="visually-hidden">Opioid use by care path</caption>
        <thead>
          <tr>
            <th scope="col">Of episodes with a baseline visit</th>
            {columns.map((g) => (
              <th key={String(g.key)} scope="col" className="numeric">
                {g.key === null ? 'All' : g.label}
                <span className="table__sub">n = {countText(g.withBaselineVisit)}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">On opioids at baseline</th>
            {share((g) => g.onOpioidsAtBaseline)}
          </tr>
          <tr>
            <th scope="row">On opioids at {windowLabel}</th>
            {share((g) => g.onOpioidsAtWindow)}
          </tr>
          <tr>
            <th scope="row">
              Mean MME change
              <span className="table__sub">baseline − follow-up, mg/day; 95% CI</span>
            </th>
            {columns.map((g) => (
              <td key={String(g.key)} className="numeric">
                <span className="figure">{changeText(g.mmeChange.mean)}</span>
                <span className="table__sub">{ciText(g.mmeChange.lower, g.mmeChange.upper)}</span>
                <span className="table__sub">n = {countText(g.mmeChange.n)}</span>
              </td>
            ))}
          </tr>
          <tr>
            <th scope="row">Dose at least halved</th>
            {share((g) => g.reduced)}
          </tr>
          <tr>
            <th scope="row">Stopped</th>
            {share((g) => g.stopped)}
          </tr>
        </tbody>
      </table>
    </div>
  );
}
