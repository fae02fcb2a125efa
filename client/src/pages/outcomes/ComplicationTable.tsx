import { countText, percentCiText, type Complications } from '../../data/outcomes.ts';
import { formatPercent } from '../../data/format.ts';

/** Complication rates per treatment by category, grouped under their care path, with Wilson intervals. */
export function ComplicationTable({ complications }: { complications: Complications }) {
  const rate = (p: Complications['overall']['minor']) => (
    <>
      <span className="figure">{formatPercent(p.p, 1)}</span>
      <span className="table__sub">{percentCiText(p)}</span>
    </>
  );
  const line = (c: Omit<Complications['byCategory'][number], 'carePath'> & { carePath?: string }, kind: 'path' | 'category' | 'total') => (
    <tr key={`${kind}-${c.key}`} className={kind === 'category' ? undefined : 'is-total'}>
      <th scope="row" className={kind === 'category' ? 'indent' : undefined}>
        {kind === 'category' ? <span className="swatch" data-path={c.carePath} aria-hidden="true" /> : null}
        {c.label}
      </th>
      <td className="numeric">{countText(c.treatments)}</td>
      <td className="numeric">{rate(c.minor)}</td>
      <td className="numeric">{rate(c.major)}</td>
    </tr>
  );
  return (
    <div className="table-wrap">
      <table className="table table--dense">
        <caption className="visually-hidden">Complication rates per treatment by category and care path</caption>
        <thead>
          <tr>
            <th scope="col">Treatment</th>
            <th scope="col" className="numeric">
              Treatments
              <span className="table__sub">status recorded</span>
            </th>
            <th scope="col" className="numeric">
              Minor
              <span className="table__sub">95% CI</span>
            </th>
            <th scope="col" className="numeric">
              Major
              <span className="table__sub">95% CI</span>
            </th>
          </tr>
        </thead>
        {complications.byCarePath.map((p) => (
          <tbody key={p.key}>
            {line(p, 'path')}
            {complications.byCategory.filter((c) => c.carePath === p.key).map((c) => line(c, 'category'))}
          </tbody>
        ))}
        <tfoot>{line(complications.overall, 'total')}</tfoot>
      </table>
    </div>
  );
}
