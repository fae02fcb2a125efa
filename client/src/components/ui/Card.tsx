import { useId, type ReactNode } from 'react';

type CardProps = {
  title: ReactNode;
  /** A line under the title: what the figure shows, for whom. */
  subtitle?: ReactNode;
  /** Controls on the right of the title (a definition, a toggle). */
  actions?: ReactNode;
  /** Definitions, denominators and sources, in small print under the content. */
  footnote?: ReactNode;
  children: ReactNode;
  className?: string;
};

/** A titled section of a page: one chart, one table, or one group of tiles. */
export function Card({ title, subtitle, actions, footnote, children, className }: CardProps) {
  const titleId = useId();
  return (
    <section className={className ? `card ${className}` : 'card'} aria-labelledby={titleId}>
      <header className="card__header">
        <div>
          <h2 className="card__title" id={titleId}>
            {title}
          </h2>
          {subtitle ? <p className="card__subtitle">{subtitle}</p> : null}
        </div>
        {actions ? <div className="card__actions">{actions}</div> : null}
      </header>
      <div className="card__body">{children}</div>
      {footnote ? <footer className="card__footnote">{footnote}</footer> : null}
    </section>
  );
}
