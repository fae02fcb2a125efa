/** "Reset filters", shown once the filters differ from the page's defaults. */
export function ResetFilters({ isDefault, onReset }: { isDefault: boolean; onReset: () => void }) {
  if (isDefault) return null;
  return (
    <button type="button" className="link-button filter-bar__reset" onClick={onReset}>
      Reset filters
    </button>
  );
}
