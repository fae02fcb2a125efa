import type { ReactNode } from 'react';
import { PRODUCT_NAME } from '../../sections.ts';

/** The page's title, the question it answers, and page-wide controls (filters) on the right. */
export function PageHeader({ title, summary, children }: { title: string; summary?: ReactNode; children?: ReactNode }) {
  return (
    <div className="page-header">
      {/* React 19 hoists this into <head>: the tab and the history entry name the page. */}
      <title>{`${title} · ${PRODUCT_NAME}`}</title>
      <div>
        <h1 className="page-header__title">{title}</h1>
        {summary ? <p className="page-header__summary">{summary}</p> : null}
      </div>
      {children ? <div className="page-header__controls">{children}</div> : null}
    </div>
  );
}
