import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { Card } from './Card.tsx';
import { PageHeader } from './PageHeader.tsx';

type PlannedPageProps = {
  title: string;
  summary: string;
  /** Who the page is for, in one line. */
  audience: string;
  /** What the page will show, one item per figure or table. */
  willShow: ReactNode[];
  /** The definitions the page will use, in small print. */
  definitions?: ReactNode;
};

/**
 * A section that is not built yet. It says what it will show and that it is not
 * available, and shows no figures: a placeholder number on a clinical dashboard
 * is a number someone will quote.
 */
export function PlannedPage({ title, summary, audience, willShow, definitions }: PlannedPageProps) {
  return (
    <>
      <PageHeader title={title} summary={summary} />
      <Card
        title={
          <>
            <span className="status-badge">Not available yet</span> What this page will show
          </>
        }
        subtitle={audience}
        footnote={definitions}
      >
        <ul className="plan-list">
          {willShow.map((item, i) => (
            <li key={i}>{item}</li>
          ))}
        </ul>
        <p className="plan-note">
          No figures are shown here until they are computed from your practice's records. What is stored can be checked
          on the <Link to="/data">Data page</Link>.
        </p>
      </Card>
    </>
  );
}
