import { calendarCells, type CalendarData } from '../../data/operations.ts';
import { NEUTRAL } from './palette.ts';

const CELL = 13;
const GAP = 2;
const LEFT = 30;
const TOP = 18;
/** Light to dark blue (sequential, readable in greyscale); withheld days are grey. */
export const HEAT = ['#eef2f6', '#c6dbef', '#6baed6', '#2171b5', '#08306b'] as const;
const WEEKDAYS = ['Mon', '', 'Wed', '', 'Fri', '', ''];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Procedure sessions per day of one year: a column per week, a row per
 * weekday (Monday first), darker for busier days (five steps of the busiest
 * day's count). Drawn as SVG: 365 cells, each with its date and count as a title.
 */
export function CalendarHeatmap({ calendar }: { calendar: CalendarData }) {
  const cells = calendarCells(calendar);
  const weeks = (cells.at(-1)?.week ?? 0) + 1;
  const width = LEFT + weeks * (CELL + GAP) + 4;
  const height = TOP + 7 * (CELL + GAP) + 4;
  const monthStarts = cells.filter((c) => c.date.endsWith('-01'));
  return (
    <div className="chart calendar-heatmap">
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={`Procedure sessions per day in ${calendar.year}`} xmlns="http://www.w3.org/2000/svg">
        <rect x={0} y={0} width={width} height={height} fill="#ffffff" />
        {monthStarts.map((c) => (
          <text key={c.date} x={LEFT + c.week * (CELL + GAP)} y={11} fontSize={10} fill={NEUTRAL.muted}>
            {MONTHS[Number(c.date.slice(5, 7)) - 1]}
          </text>
        ))}
        {WEEKDAYS.map((d, i) =>
          d ? (
            <text key={d} x={0} y={TOP + i * (CELL + GAP) + CELL - 2} fontSize={10} fill={NEUTRAL.muted}>
              {d}
            </text>
          ) : null,
        )}
        {cells.map((c) => (
          <rect
            key={c.date}
            x={LEFT + c.week * (CELL + GAP)}
            y={TOP + c.weekday * (CELL + GAP)}
            width={CELL}
            height={CELL}
            rx={2}
            fill={c.level < 0 ? '#bdbdbd' : HEAT[c.level]}
            data-date={c.date}
            data-count={c.count ?? ''}
          >
            <title>{`${c.date}: ${c.display} ${c.count === 1 ? 'session' : 'sessions'}`}</title>
          </rect>
        ))}
      </svg>
      <p className="calendar-heatmap__legend" aria-hidden="true">
        Fewer
        {HEAT.map((h) => (
          <span key={h} className="calendar-heatmap__swatch" style={{ background: h }} />
        ))}
        More (busiest day {calendar.max.toLocaleString('en-US')})
      </p>
    </div>
  );
}
