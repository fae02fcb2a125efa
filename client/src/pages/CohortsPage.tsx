import { PlannedPage } from '../components/ui/PlannedPage.tsx';
import { SECTIONS } from '../sections.ts';

export function CohortsPage() {
  return (
    <PlannedPage
      title="Cohorts"
      summary={SECTIONS[3].summary}
      audience="For physicians and researchers preparing a study or a quality review."
      willShow={[
        'A cohort builder: conditions, treatments, care path, dates, age and baseline scores, with the count of matching patients and episodes as you go.',
        'De-identified export following HIPAA Safe Harbor: study ids instead of record numbers, dates relative to the index date, ages over 89 as 90, three-digit ZIP codes.',
        'Identified export (a limited data set) for administrators, and for researchers with a recorded data-use agreement.',
      ]}
      definitions={<>Counts from 1 to 10 will be shown as "&lt;11" to users who may not see patient-level data.</>}
    />
  );
}
