import { CARE_PATH_STYLES } from '../../components/charts/palette.ts';
import { Definition } from '../../components/ui/Definition.tsx';
import { countText, tableOneCells, type TableOne as TableOneData } from '../../data/cohorts.ts';

/** "Table 1": the two groups' characteristics side by side with the standardised mean difference. */
export function TableOne({ table, caption }: { table: TableOneData; caption: string }) {
  return (
    <div className="table-scroll">
      <table className="cohort-table" data-testid="table-one">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Characteristic</th>
            {table.groups.map((g) => (
              <th scope="col" key={g.key} className="numeric">
                {g.key in CARE_PATH_STYLES ? <span className="swatch" style={{ background: CARE_PATH_STYLES[g.key as keyof typeof CARE_PATH_STYLES].color }} aria-hidden="true" /> : null}
                {g.label}
                <span className="cohort-table__n">
                  n = {countText(g.episodes)} episodes, {countText(g.patients)} patients
                </span>
              </th>
            ))}
            <th scope="col" className="numeric">
              SMD{' '}
              <Definition of="SMD">{table.smdDefinition}</Definition>
            </th>
          </tr>
        </thead>
        <tbody>
          {table.rows.map((r, i) => {
            const c = tableOneCells(r);
            const first = i === 0 || table.rows[i - 1]!.variable !== r.variable;
            return (
              <tr key={`${r.variable}-${r.kind === 'level' ? r.level : ''}`} className={first ? 'is-first' : undefined}>
                <th scope="row" title={r.definition} className={r.kind === 'level' && !first ? 'indent' : undefined}>
                  {r.kind === 'level' && !first ? r.level : c.label}
                </th>
                {c.cells.map((cell, k) => (
                  <td key={k} className="numeric" title={cell.title}>
                    {cell.text}
                  </td>
                ))}
                <td className={c.imbalanced ? 'numeric is-imbalanced' : 'numeric'}>{c.smd}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
