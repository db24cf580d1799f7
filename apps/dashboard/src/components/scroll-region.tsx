/**
 * A wide table's horizontal scroll box that keyboard users can reach (focusable, named): axe's
 * `scrollable-region-focusable`, which Mantine's Table.ScrollContainer does not satisfy.
 */
export function ScrollRegion({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div role="region" aria-label={label} tabIndex={0} style={{ overflowX: 'auto' }}>
      {children}
    </div>
  );
}
