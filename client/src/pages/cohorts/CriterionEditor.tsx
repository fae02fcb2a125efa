import { useEffect, useState } from 'react';
import { parseCodes, VOCABULARY, WINDOWS, type Criterion } from '../../data/cohorts.ts';

const human = (s: string) => (s.charAt(0).toUpperCase() + s.slice(1)).replace(/_/g, ' ');

function Checks<T extends string>({ name, options, value, onChange, label = human }: { name: string; options: readonly T[]; value: readonly T[]; onChange: (v: T[]) => void; label?: (o: T) => string }) {
  return (
    <fieldset className="criterion__checks">
      <legend className="visually-hidden">{name}</legend>
      {options.map((o) => (
        <label key={o} className="criterion__check">
          <input type="checkbox" checked={value.includes(o)} onChange={(e) => onChange(e.target.checked ? options.filter((x) => x === o || value.includes(x)) : value.filter((x) => x !== o))} />
          {label(o)}
        </label>
      ))}
    </fieldset>
  );
}

/** The measure a criterion is about (pain NRS when none is set). */
function MeasureSelect<M extends string>({ value, onChange }: { value: M | undefined; onChange: (measure: M) => void }) {
  return (
    <label className="criterion__field">
      <span>Measure</span>
      <select value={value ?? 'pain_nrs'} onChange={(e) => onChange(e.target.value as M)}>
        {Object.keys(VOCABULARY.MEASURES).map((m) => (
          <option key={m} value={m}>
            {measureLabel(m)}
          </option>
        ))}
      </select>
    </label>
  );
}

function NumberInput({ label, value, onChange, step = 1, min = 0 }: { label: string; value: number | null | undefined; onChange: (v: number | null) => void; step?: number; min?: number }) {
  return (
    <label className="criterion__field">
      <span>{label}</span>
      <input type="number" inputMode="decimal" min={min} step={step} value={value ?? ''} onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))} />
    </label>
  );
}

/** Codes typed as text, kept as typed while editing, sent as a list. */
function CodesInput({ label, codes, onChange, placeholder }: { label: string; codes: readonly string[]; onChange: (codes: string[]) => void; placeholder: string }) {
  const [text, setText] = useState(codes.join(', '));
  useEffect(() => {
    if (parseCodes(text).join(',') !== codes.join(',')) setText(codes.join(', '));
    // eslint-disable-next-line react-hooks/exhaustive-deps -- follow outside changes only
  }, [codes.join(',')]);
  return (
    <label className="criterion__field criterion__field--wide">
      <span>{label}</span>
      <input type="text" value={text} placeholder={placeholder} spellCheck={false} onChange={(e) => { setText(e.target.value); onChange(parseCodes(e.target.value)); }} />
    </label>
  );
}

const measureLabel = (m: string) => VOCABULARY.MEASURES[m as keyof typeof VOCABULARY.MEASURES].label;

/** The inputs of one criterion, by its type. */
export function CriterionEditor({ criterion: c, onChange }: { criterion: Criterion; onChange: (c: Criterion) => void }) {
  switch (c.type) {
    case 'condition':
      return <CodesInput label="ICD-10-CM codes; end with * for a prefix" codes={c.codes} placeholder="M54.1*, M51.16" onChange={(codes) => onChange({ ...c, codes })} />;
    case 'carePath':
      return <Checks name="Care paths" options={VOCABULARY.CARE_PATHS} value={c.paths} onChange={(paths) => onChange({ ...c, paths })} />;
    case 'treatment':
      return (
        <>
          <Checks name="Treatment categories" options={VOCABULARY.TREATMENT_CATEGORIES} value={c.categories ?? []} onChange={(categories) => onChange({ ...c, categories })} />
          <CodesInput label="or CPT / HCPCS codes" codes={c.codes ?? []} placeholder="64483, 62323" onChange={(codes) => onChange({ ...c, codes })} />
          <label className="criterion__field">
            <span>Which treatment</span>
            <select value={c.scope ?? 'any'} onChange={(e) => onChange({ ...c, scope: e.target.value as 'any' | 'primary' })}>
              <option value="any">any treatment of the episode</option>
              <option value="primary">the primary treatment</option>
            </select>
          </label>
        </>
      );
    case 'indexDate':
      return (
        <>
          <label className="criterion__field">
            <span>From</span>
            <input type="date" value={c.from ?? ''} onChange={(e) => onChange({ ...c, from: e.target.value || null })} />
          </label>
          <label className="criterion__field">
            <span>To</span>
            <input type="date" value={c.to ?? ''} onChange={(e) => onChange({ ...c, to: e.target.value || null })} />
          </label>
        </>
      );
    case 'age':
      return (
        <>
          <NumberInput label="From age" value={c.min} onChange={(min) => onChange({ ...c, min })} />
          <NumberInput label="to age" value={c.max} onChange={(max) => onChange({ ...c, max })} />
        </>
      );
    case 'sex':
      return <Checks name="Sex" options={VOCABULARY.SEXES} value={c.sexes} onChange={(sexes) => onChange({ ...c, sexes })} />;
    case 'region':
      return <Checks name="Regions" options={[...VOCABULARY.REGIONS, 'unrecorded'] as const} value={c.regions} onChange={(regions) => onChange({ ...c, regions })} label={(r) => (r === 'unrecorded' ? 'Not recorded' : human(r))} />;
    case 'baseline':
      return (
        <>
          <MeasureSelect value={c.measure} onChange={(measure) => onChange({ ...c, measure })} />
          <NumberInput label="From" step={0.5} value={c.min} onChange={(min) => onChange({ ...c, min })} />
          <NumberInput label="to" step={0.5} value={c.max} onChange={(max) => onChange({ ...c, max })} />
        </>
      );
    case 'painDuration':
      return (
        <label className="criterion__field">
          <span>Pain duration</span>
          <select value={c.is} onChange={(e) => onChange({ ...c, is: e.target.value as typeof c.is })}>
            <option value="chronic">chronic: more than 3 months</option>
            <option value="not_chronic">3 months or less</option>
            <option value="unrecorded">not recorded</option>
          </select>
        </label>
      );
    case 'priorProcedures':
      return (
        <>
          <NumberInput label="From" value={c.min} onChange={(min) => onChange({ ...c, min })} />
          <NumberInput label="to sessions" value={c.max} onChange={(max) => onChange({ ...c, max })} />
        </>
      );
    case 'followUp':
      return (
        <>
          <MeasureSelect value={c.measure} onChange={(measure) => onChange({ ...c, measure })} />
          <label className="criterion__field">
            <span>Window</span>
            <select value={c.window ?? 'm3'} onChange={(e) => onChange({ ...c, window: e.target.value as typeof c.window })}>
              {WINDOWS.map((w) => (
                <option key={w} value={w}>
                  {VOCABULARY.FOLLOW_UP_WINDOWS[w].label} (days {VOCABULARY.FOLLOW_UP_WINDOWS[w].from}-{VOCABULARY.FOLLOW_UP_WINDOWS[w].to})
                </option>
              ))}
            </select>
          </label>
        </>
      );
  }
}
