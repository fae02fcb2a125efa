import { describeError } from '../../data/errors.ts';

type ErrorStateProps = {
  /** What could not be done ("Could not load the practice's records"). */
  title: string;
  error?: unknown;
  /** Shown as a "Try again" button when given. */
  onRetry?: () => void;
  retrying?: boolean;
  /** Compact, above content that is still shown (previous data). */
  inline?: boolean;
};

/** A failure, what it means for the user, and a way to try again. */
export function ErrorState({ title, error, onRetry, retrying = false, inline = false }: ErrorStateProps) {
  return (
    <div className={inline ? 'error-state error-state--inline' : 'error-state'} role="alert">
      <div>
        <p className="error-state__title">{title}</p>
        {error !== undefined ? <p className="error-state__message">{describeError(error)}</p> : null}
      </div>
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry} disabled={retrying}>
          {retrying ? 'Trying again…' : 'Try again'}
        </button>
      ) : null}
    </div>
  );
}
