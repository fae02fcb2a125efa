/**
 * The sections of the product, in navigation order: one source for the header,
 * the routes and the page titles.
 */
export type Section = {
  path: string;
  label: string;
  /** One line on what the section answers; shown under the page title. */
  summary: string;
  /** Whether the shared practice filters travel with a link to this section. */
  analytic: boolean;
};

export const SECTIONS = [
  {
    path: '/outcomes',
    label: 'Outcomes',
    summary: 'How patients did after treatment: pain, function and opioid use, by procedure and condition.',
    analytic: true,
  },
  {
    path: '/compare',
    label: 'Compare',
    summary: 'Interventional and conservative care side by side, crude and adjusted for case mix.',
    analytic: true,
  },
  {
    path: '/operations',
    label: 'Operations',
    summary: 'Procedure volume, repeat procedures and follow-up survey completion.',
    analytic: true,
  },
  {
    path: '/cohorts',
    label: 'Cohorts',
    summary: 'Define a group of patients, count it, and export it de-identified for research.',
    analytic: true,
  },
  {
    path: '/data',
    label: 'Data',
    summary: "The practice's records stored in this system, and where they came from.",
    analytic: false,
  },
] as const satisfies readonly Section[];

export const PRODUCT_NAME = 'Pain Care Outcomes';

export function sectionOf(pathname: string): Section | undefined {
  return SECTIONS.find((s) => pathname === s.path || pathname.startsWith(`${s.path}/`));
}
