import { useEffect, useId, useRef } from 'react';

export type Option<V extends string | number> = { value: V; label: string; hint?: string };

type MultiSelectProps<V extends string | number> = {
  label: string;
  options: readonly Option<V>[];
  /** Selected values; empty means "all". */
  value: readonly V[];
  onChange: (next: V[]) => void;
  /** What "nothing selected" means ("All conditions"). */
  allLabel: string;
};

/**
 * A compact multiple choice: a button showing the selection ("All conditions",
 * "Radiculopathy", "3 selected") that opens a list of checkboxes. A native
 * <details>, so it works with the keyboard and a screen reader without
 * scripting focus; Escape and a click elsewhere close it.
 */
export function MultiSelect<V extends string | number>({ label, options, value, onChange, allLabel }: MultiSelectProps<V>) {
  const id = useId();
  const ref = useRef<HTMLDetailsElement>(null);
  const selected = new Set<V>(value);
  const summary =
    value.length === 0 ? allLabel : value.length === 1 ? (options.find((o) => o.value === value[0])?.label ?? String(value[0])) : `${value.length} selected`;

  useEffect(() => {
    const close = (e: MouseEvent | KeyboardEvent) => {
      const el = ref.current;
      if (!el?.open) return;
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !el.contains(e.target as Node)) {
        el.open = false;
        if (e instanceof KeyboardEvent) el.querySelector('summary')?.focus();
      }
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, []);

  const toggle = (v: V) => onChange(options.map((o) => o.value).filter((x) => (x === v ? !selected.has(x) : selected.has(x))));

  return (
    <div className="filter">
      <span className="filter__label" id={`${id}-label`}>
        {label}
      </span>
      <details className="multi" ref={ref}>
        <summary className="multi__summary" aria-labelledby={`${id}-label ${id}-value`}>
          <span id={`${id}-value`}>{summary}</span>
        </summary>
        <div className="multi__panel" role="group" aria-labelledby={`${id}-label`}>
          {options.length === 0 ? <p className="multi__empty">None recorded</p> : null}
          {options.map((o) => (
            <label key={String(o.value)} className="multi__option">
              <input type="checkbox" checked={selected.has(o.value)} onChange={() => toggle(o.value)} />
              <span>{o.label}</span>
              {o.hint ? <span className="multi__hint">{o.hint}</span> : null}
            </label>
          ))}
          {value.length > 0 ? (
            <button type="button" className="link-button multi__clear" onClick={() => onChange([])}>
              Clear: {allLabel.toLowerCase()}
            </button>
          ) : null}
        </div>
      </details>
    </div>
  );
}
