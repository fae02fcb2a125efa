import type { UseQueryResult } from '@tanstack/react-query';
import { Card } from '../../components/ui/Card.tsx';
import { QueryState } from '../../components/ui/QueryState.tsx';
import { countText, type SavedCohort } from '../../data/cohorts.ts';

type Props = {
  list: UseQueryResult<SavedCohort[], unknown>;
  currentId: number | null;
  compareId: number | null;
  onOpen: (c: SavedCohort) => void;
  onCompare: (c: SavedCohort | null) => void;
  onNew: () => void;
};

/** Saved cohorts of the practice (shared by link): open one, or compare the open one with it. */
export function SavedCohorts({ list, currentId, compareId, onOpen, onCompare, onNew }: Props) {
  return (
    <Card
      title="Saved cohorts"
      subtitle="Shared with everyone who builds cohorts; open one to edit or re-run it."
      actions={
        <button type="button" className="button" onClick={onNew}>
          New cohort
        </button>
      }
    >
      <QueryState query={list} errorTitle="Could not load the saved cohorts" isEmpty={(d) => d.length === 0} empty={<p className="muted">No saved cohorts yet. Build one and save it.</p>}>
        {(cohorts) => (
          <ul className="saved-list">
            {cohorts.map((c) => (
              <li key={c.id} className={c.id === currentId ? 'saved-list__item is-current' : 'saved-list__item'}>
                <button type="button" className="saved-list__open" onClick={() => onOpen(c)} aria-current={c.id === currentId ? 'true' : undefined}>
                  <span className="saved-list__name">{c.name}</span>
                  <span className="saved-list__meta">
                    {c.lastRun ? `${countText(c.lastRun.episodes)} episodes` : ''} · revision {c.revision} · {c.owner ?? 'unknown'}
                  </span>
                </button>
                {currentId !== null && c.id !== currentId ? (
                  <button type="button" className="saved-list__compare" aria-pressed={c.id === compareId} onClick={() => onCompare(c.id === compareId ? null : c)}>
                    {c.id === compareId ? 'Comparing' : 'Compare'}
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </QueryState>
    </Card>
  );
}
