type LoadingStateProps = {
  /** The shape of what is coming, so the page does not jump when it arrives. */
  variant?: 'tiles' | 'chart' | 'table' | 'text';
  /** Tiles or table rows to sketch. */
  count?: number;
  /** What is loading, for screen readers ("Loading the practice's records"). */
  label?: string;
};

/** A skeleton in the shape of the content that is on its way. */
export function LoadingState({ variant = 'text', count, label = 'Loading' }: LoadingStateProps) {
  return (
    <div className={`loading loading--${variant}`} role="status" aria-live="polite" aria-busy="true">
      <span className="visually-hidden">{label}…</span>
      {variant === 'tiles' ? (
        <div className="tile-grid" aria-hidden="true">
          {Array.from({ length: count ?? 4 }, (_, i) => (
            <div key={i} className="tile tile--skeleton">
              <span className="skeleton skeleton--label" />
              <span className="skeleton skeleton--value" />
              <span className="skeleton skeleton--line" />
            </div>
          ))}
        </div>
      ) : variant === 'chart' ? (
        <div className="skeleton skeleton--chart" aria-hidden="true" />
      ) : variant === 'table' ? (
        <div aria-hidden="true">
          {Array.from({ length: count ?? 6 }, (_, i) => (
            <span key={i} className="skeleton skeleton--row" />
          ))}
        </div>
      ) : (
        <div aria-hidden="true">
          <span className="skeleton skeleton--line" />
          <span className="skeleton skeleton--line skeleton--short" />
        </div>
      )}
    </div>
  );
}
