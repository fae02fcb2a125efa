import { useId, type ReactNode } from 'react';
import type { CarePath } from '../../../../db/schema/vocabulary.ts';
import { formatCount } from '../../data/format.ts';
import { Definition } from './Definition.tsx';

type TileProps = {
  label: string;
  /** The figure, formatted ("1,234", "2.4", "38%", or "<11" when suppressed). */
  value: string;
  /** The unformatted figure, for machines (tests, copy-paste); defaults to `value`. */
  machineValue?: number | string;
  unit?: string;
  /** The formatted 95 % interval, shown as "95% CI …". */
  interval?: string;
  /** How many episodes (or patients) the figure rests on. */
  n?: number | string;
  /** How the figure is defined; shown behind an "i" next to the label. */
  definition?: ReactNode;
  /** Marks the tile as one care path's figure, in that path's colour. */
  carePath?: CarePath;
  /** A short line under the figure (e.g. "of 1,204 with a baseline"). */
  detail?: ReactNode;
};

/** One headline figure with its uncertainty and its n. */
export function Tile({ label, value, machineValue, unit, interval, n, definition, carePath, detail }: TileProps) {
  const labelId = useId();
  return (
    <div role="group" aria-labelledby={labelId} className={carePath ? `tile tile--${carePath}` : 'tile'}>
      <div className="tile__label">
        <span id={labelId}>{label}</span>
        {definition ? <Definition of={label}>{definition}</Definition> : null}
      </div>
      <div className="tile__figure">
        <data className="tile__value" value={String(machineValue ?? value)}>
          {value}
        </data>
        {unit ? <span className="tile__unit">{unit}</span> : null}
      </div>
      {interval ? <div className="tile__interval">95% CI {interval}</div> : null}
      {detail ? <div className="tile__detail">{detail}</div> : null}
      {n !== undefined ? <div className="tile__n">n = {typeof n === 'number' ? formatCount(n) : n}</div> : null}
    </div>
  );
}

/** Tiles in a row that wraps to the width available. */
export function TileGrid({ children, label }: { children: ReactNode; label?: string }) {
  return (
    <div className="tile-grid" aria-label={label} role={label ? 'region' : undefined}>
      {children}
    </div>
  );
}
