import { useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';

/**
 * An "i" button that shows how a figure is defined: on hover, on keyboard focus,
 * and on tap. Escape closes it (WCAG 1.4.13). The text is also the button's
 * accessible description, so a screen reader hears it with the figure.
 */
export function Definition({ of, children }: { /** What is defined, for the button's name. */ of: string; children: ReactNode }) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [alignEnd, setAlignEnd] = useState(false);
  const trigger = useRef<HTMLButtonElement>(null);

  const show = () => {
    // Near the right edge the bubble opens leftwards, so it is never cut off.
    const rect = trigger.current?.getBoundingClientRect();
    if (rect) setAlignEnd(rect.left > window.innerWidth - 300);
    setOpen(true);
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && open) {
      e.stopPropagation();
      setOpen(false);
    }
  };

  return (
    <span className="definition" onMouseEnter={show} onMouseLeave={() => setOpen(false)} onKeyDown={onKeyDown}>
      <button
        ref={trigger}
        type="button"
        className="definition__trigger"
        aria-label={`Definition: ${of}`}
        aria-describedby={id}
        data-open={open || undefined}
        onFocus={show}
        onBlur={() => setOpen(false)}
        onClick={() => (open ? setOpen(false) : show())}
      >
        <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
          <circle cx="8" cy="8" r="7" fill="none" stroke="currentColor" strokeWidth="1.3" />
          <circle cx="8" cy="4.8" r="0.95" fill="currentColor" />
          <path d="M8 7.2v4.6" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
      </button>
      <span id={id} role="tooltip" className={`definition__bubble${alignEnd ? ' definition__bubble--end' : ''}`} hidden={!open}>
        {children}
      </span>
    </span>
  );
}

/** Small print under a figure: the definition used, the denominator, the source. */
export function Footnote({ children }: { children: ReactNode }) {
  return <p className="footnote">{children}</p>;
}
