import { PlannedPage } from '../components/ui/PlannedPage.tsx';
import { SECTIONS } from '../sections.ts';

export function OutcomesPage() {
  return (
    <PlannedPage
      title="Outcomes"
      summary={SECTIONS[0].summary}
      audience="For physicians reviewing their own and the practice's results, every week."
      willShow={[
        'Headline figures: episodes, mean change in pain with its 95% confidence interval, responder rates by care path, opioid reduction, complication rate and follow-up completeness.',
        'Pain over time: the mean score at baseline and at 2 weeks, 6 weeks, 3, 6 and 12 months, by care path, with confidence bands.',
        'Responder rates by treatment category, by the definition you choose (30% or 50% reduction, 2-point change, score of 1 or less) and by complete case or intention to treat.',
        'The distribution of change in pain, and a table by treatment category and condition with n, mean change, confidence interval and responder rate.',
        "A patient list for a selected group, with each patient's timeline of scores and treatments.",
      ]}
      definitions={
        <>
          Baseline: the last score in the 30 days up to the index date. Follow-up: the score nearest the target day of
          each window. Responders follow IMMPACT (Dworkin 2008). Every figure will carry its n and say which definition it
          used.
        </>
      }
    />
  );
}
