import { formatCount } from '../../data/format.ts';

/** What an import did with rows, in the order every import table shows it. */
const COUNT_COLUMNS = ['Inserted', 'Updated', 'Unchanged', 'Rejected'] as const;

export type RowCountValues = { inserted: number; updated: number; unchanged: number; rejected: number };

/** The header cells of the four row counts. */
export function RowCountHeaders() {
  return (
    <>
      {COUNT_COLUMNS.map((label) => (
        <th key={label} scope="col" className="numeric">
          {label}
        </th>
      ))}
    </>
  );
}

/** The four row counts of one import or one file, under RowCountHeaders. */
export function RowCountCells({ counts }: { counts: RowCountValues }) {
  return (
    <>
      <td className="numeric">{formatCount(counts.inserted)}</td>
      <td className="numeric">{formatCount(counts.updated)}</td>
      <td className="numeric">{formatCount(counts.unchanged)}</td>
      <td className="numeric">{formatCount(counts.rejected)}</td>
    </>
  );
}
