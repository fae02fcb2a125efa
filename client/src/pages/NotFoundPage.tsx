import { Link } from 'react-router';
import { EmptyState } from '../components/ui/EmptyState.tsx';
import { PageHeader } from '../components/ui/PageHeader.tsx';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState title="There is no page at this address." action={<Link to="/outcomes">Go to Outcomes</Link>}>
        <p>The link may be mistyped or from an older version of the product.</p>
      </EmptyState>
    </>
  );
}
