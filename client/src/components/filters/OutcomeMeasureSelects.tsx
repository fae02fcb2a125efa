import { FOLLOW_UP_WINDOW_NAMES, type FollowUpWindow } from '../../../../db/schema/vocabulary.ts';
import {
  DEFINITIONS_BY_MEASURE,
  OUTCOME_MEASURES,
  definitionLabel,
  measureLabel,
  windowLabel,
  type OutcomeMeasure,
  type ResponderDefinition,
} from '../../data/outcomes.ts';

type Props = {
  /** Prefix of the selects' ids: `<idPrefix>-measure`, `-window`, `-definition`. */
  idPrefix: string;
  measure: OutcomeMeasure;
  window: FollowUpWindow;
  definition: ResponderDefinition;
  onChange: (patch: { measure?: OutcomeMeasure; window?: FollowUpWindow; definition?: ResponderDefinition }) => void;
};

/**
 * The outcome measure, follow-up window and responder definition selects. A new
 * measure keeps the definition if it allows it, else takes its first one.
 */
export function OutcomeMeasureSelects({ idPrefix, measure, window, definition, onChange }: Props) {
  return (
    <>
      <div className="filter">
        <label className="filter__label" htmlFor={`${idPrefix}-measure`}>
          Outcome measure
        </label>
        <select
          id={`${idPrefix}-measure`}
          className="field__input"
          value={measure}
          onChange={(e) => {
            const next = e.target.value as OutcomeMeasure;
            const allowed = DEFINITIONS_BY_MEASURE[next];
            onChange({ measure: next, definition: allowed.includes(definition) ? definition : allowed[0]! });
          }}
        >
          {OUTCOME_MEASURES.map((m) => (
            <option key={m} value={m}>
              {measureLabel(m)}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label className="filter__label" htmlFor={`${idPrefix}-window`}>
          Follow-up window
        </label>
        <select id={`${idPrefix}-window`} className="field__input" value={window} onChange={(e) => onChange({ window: e.target.value as FollowUpWindow })}>
          {FOLLOW_UP_WINDOW_NAMES.map((w) => (
            <option key={w} value={w}>
              {windowLabel(w)}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label className="filter__label" htmlFor={`${idPrefix}-definition`}>
          Responder definition
        </label>
        <select
          id={`${idPrefix}-definition`}
          className="field__input"
          value={definition}
          onChange={(e) => onChange({ definition: e.target.value as ResponderDefinition })}
        >
          {DEFINITIONS_BY_MEASURE[measure].map((d) => (
            <option key={d} value={d}>
              {definitionLabel(d, measure)}
            </option>
          ))}
        </select>
      </div>
    </>
  );
}
