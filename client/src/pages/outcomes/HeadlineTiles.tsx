import { Tile, TileGrid } from '../../components/ui/Tile.tsx';
import { formatPercent } from '../../data/format.ts';
import {
  CHANGE_DEFINITION,
  changeText,
  changeUnit,
  ciText,
  countText,
  definitionLabel,
  definitionSentence,
  denominatorSentence,
  measureLabel,
  ofText,
  percentCiText,
  percentText,
  windowLabel,
  windowSentence,
  type Complications,
  type FilterOptions,
  type Opioids,
  type OutcomeMeasure,
  type OutcomePageFilters,
  type Proportion,
  type Summary,
} from '../../data/outcomes.ts';

type Props = {
  summary: Summary;
  opioids: Opioids | undefined;
  complications: Complications | undefined;
  filters: OutcomePageFilters;
  options: FilterOptions | undefined;
};

const machine = (p: Proportion | null | undefined) => (p?.p === null || p?.p === undefined ? '' : p.p);

/** The headline figures: episodes, mean change, responders by care path, follow-up, opioids, complications. */
export function HeadlineTiles({ summary, opioids, complications, filters, options }: Props) {
  const measure = filters.measure as OutcomeMeasure;
  const unit = changeUnit(measure);
  const window = windowLabel(filters.window);
  const o = summary.overall;
  const definition = definitionLabel(filters.definition, measure);
  const procedures = complications?.byCarePath.find((c) => c.key === 'interventional');
  return (
    <TileGrid label="Headline figures">
      <Tile
        label="Episodes"
        value={countText(o.episodes)}
        machineValue={typeof o.episodes === 'number' ? o.episodes : ''}
        detail={`${countText(o.withBaseline)} with a baseline, ${countText(o.noBaseline)} without`}
        definition="Episodes of care whose index date (first treatment) and facts match the filters. Without a baseline score an episode is left out of change and response figures."
      />
      <Tile
        label={`Mean change, ${window}`}
        value={changeText(o.change.mean)}
        machineValue={o.change.mean ?? ''}
        unit={unit}
        interval={ciText(o.change.lower, o.change.upper)}
        n={countText(o.change.n)}
        detail={`${measureLabel(measure)}; median ${changeText(o.change.median)}`}
        definition={
          <>
            {CHANGE_DEFINITION} Follow-up: {windowSentence(filters.window, options?.windows)}. Complete cases; mean with a 95% t-interval.
          </>
        }
      />
      {summary.groups.map((g) => (
        <Tile
          key={String(g.key)}
          label={`Responders, ${g.label.toLowerCase()}`}
          carePath={g.key === 'interventional' || g.key === 'conservative' ? g.key : undefined}
          value={summary.respondersApply ? percentText(g.responders) : '—'}
          machineValue={machine(g.responders)}
          interval={summary.respondersApply ? percentCiText(g.responders) : undefined}
          n={g.responders ? countText(g.responders.n) : undefined}
          detail={g.responders ? `${definition}; ${ofText(g.responders)}` : `${definition} is not defined for this measure`}
          definition={
            <>
              {definitionSentence(filters.definition, measure)} {denominatorSentence(filters.denominator)} At {window}. Wilson 95% interval.
            </>
          }
        />
      ))}
      <Tile
        label={`Follow-up, ${window}`}
        value={percentText(o.followUp)}
        machineValue={machine(o.followUp)}
        interval={percentCiText(o.followUp)}
        n={countText(o.followUp.n)}
        detail={`${ofText(o.followUp)} with a baseline have a score in the window`}
        definition="Follow-up completeness: the share of episodes with a baseline that have a score in the window. A responder rate means less when few are followed up. Episodes whose window has not closed yet count as not followed up: to leave them out, end the index-date range before them. Wilson 95% interval."
      />
      <Tile
        label={`Opioid dose halved, ${window}`}
        value={opioids ? (opioids.recorded ? percentText(opioids.overall.reduced) : '—') : '…'}
        machineValue={opioids?.recorded ? machine(opioids.overall.reduced) : undefined}
        interval={opioids?.recorded ? percentCiText(opioids.overall.reduced) : undefined}
        n={opioids?.recorded ? countText(opioids.overall.reduced.n) : undefined}
        detail={
          opioids
            ? opioids.recorded
              ? opioids.groups.map((g) => `${g.label} ${percentText(g.reduced)}`).join(' · ')
              : 'No opioid doses (MME) recorded'
            : undefined
        }
        definition={
          <>
            Daily morphine milligram equivalents (MME) at least 50% lower than at baseline (stopping included), of the episodes on opioids at baseline
            (MME above 0). {denominatorSentence(filters.denominator)}
          </>
        }
      />
      <Tile
        label="Complications per procedure"
        value={procedures ? percentText(procedures.any, 1) : complications ? '—' : '…'}
        machineValue={machine(procedures?.any)}
        interval={procedures ? percentCiText(procedures.any) : undefined}
        n={procedures ? countText(procedures.treatments) : undefined}
        detail={procedures ? `minor ${formatPercent(procedures.minor.p, 1)}, major ${formatPercent(procedures.major.p, 1)}` : undefined}
        definition="Interventional procedures (sessions) with a minor or major complication recorded, of those with a complication status recorded, in the selected episodes. Wilson 95% interval. By category below."
      />
    </TileGrid>
  );
}
