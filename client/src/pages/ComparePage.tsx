import { PlannedPage } from '../components/ui/PlannedPage.tsx';
import { SECTIONS } from '../sections.ts';

export function ComparePage() {
  return (
    <PlannedPage
      title="Compare"
      summary={SECTIONS[1].summary}
      audience="For physicians and researchers weighing interventional against conservative care for similar patients."
      willShow={[
        'Difference in mean change between care paths (Welch t-test, 95% CI, p) and its effect size (Hedges g).',
        'Responders: risk difference with its confidence interval, relative risk, and the number needed to treat where the difference is clear of zero.',
        'An estimate adjusted for age, sex, baseline score, condition, pain duration and prior procedures (propensity weighting), with the balance table it depends on.',
        'How long relief lasts: time to loss of response or a repeat procedure (Kaplan-Meier curves by care path, log-rank test, median durability).',
      ]}
      definitions={
        <>
          Care paths are not randomised: the adjusted estimate is shown next to the crude one, and where the groups are not
          balanced after weighting the page will say so instead of showing it.
        </>
      }
    />
  );
}
