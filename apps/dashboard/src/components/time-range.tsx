import { TextInput } from '@mantine/core';

/** "From" and "To" of a list's time range, in UTC (`datetime-local`, read as UTC by `isoFromInput`). */
export function TimeRangeInputs({ from, to, set }: { from: string; to: string; set: (name: 'from' | 'to', value: string) => void }) {
  return (
    <>
      <TextInput type="datetime-local" label="From (UTC)" value={from} onChange={(e) => set('from', e.currentTarget.value)} />
      <TextInput type="datetime-local" label="To (UTC)" value={to} onChange={(e) => set('to', e.currentTarget.value)} />
    </>
  );
}
