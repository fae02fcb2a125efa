import { PlannedPage } from '../components/ui/PlannedPage.tsx';
import { SECTIONS } from '../sections.ts';

export function OperationsPage() {
  return (
    <PlannedPage
      title="Operations"
      summary={SECTIONS[2].summary}
      audience="For practice managers running the schedule, the sites and the providers."
      willShow={[
        'Procedure volume by day, week, month or quarter, by CPT family, provider and site.',
        'Repeat procedures: the interval between repeats of the same procedure and region, and epidural steroid injections beyond 4 sessions per region in a rolling 12 months.',
        'Conversion from medial branch block to radiofrequency ablation.',
        'Outcome-survey completion (follow-up completeness) by provider.',
      ]}
      definitions={
        <>
          The 4-sessions flag follows the Medicare local coverage determinations for epidural steroid injections (L39242,
          L33906) as a rule of thumb, not a coverage decision.
        </>
      }
    />
  );
}
