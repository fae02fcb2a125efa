import { useRef } from 'react';
import { useLocation } from 'react-router';
import { PRACTICE_FILTERS } from '../data/filters.ts';
import { filterSearch, parseFilters } from '../data/url-filters.ts';
import { sectionOf } from '../sections.ts';

/**
 * The query string ("?carePath=...", or "") that links to the analytic pages
 * carry: the shared filters of the analytic page the user is on, or of the last
 * one visited (so a look at Data does not lose them). Page-specific keys stay
 * on their page.
 */
export function useCarriedFilters(): string {
  const location = useLocation();
  const last = useRef('');
  if (sectionOf(location.pathname)?.analytic) {
    last.current = filterSearch(PRACTICE_FILTERS, parseFilters(PRACTICE_FILTERS, new URLSearchParams(location.search)));
  }
  return last.current === '' ? '' : `?${last.current}`;
}
