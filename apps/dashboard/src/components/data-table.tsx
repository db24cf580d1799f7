import { Table } from '@mantine/core';
import { createColumnHelper, tableFeatures, useTable, type ColumnDef, type RowData } from '@tanstack/react-table';
import { ScrollRegion } from './scroll-region';

const features = tableFeatures({});

export const columnHelper = <T extends RowData>() => createColumnHelper<typeof features, T>();

export type Columns<T extends RowData> = Array<ColumnDef<typeof features, T, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any -- columns of different value types in one list, as TanStack types them

/** A list as an accessible table (caption, header cells), rendered by TanStack Table. */
export function DataTable<T extends RowData>({ caption, columns, data, rowId, highlightId }: { caption: string; columns: Columns<T>; data: T[]; rowId: (row: T) => string; highlightId?: string | null }) {
  const table = useTable({ features, columns, data, getRowId: (row: T) => rowId(row) });
  return (
    <ScrollRegion label={caption}>
      <Table captionSide="top" striped highlightOnHover withTableBorder verticalSpacing="xs" fz="sm">
        <caption style={{ textAlign: 'left', fontWeight: 600, padding: '4px 0' }}>{caption}</caption>
        <Table.Thead>
          {table.getHeaderGroups().map((group) => (
            <Table.Tr key={group.id}>
              {group.headers.map((header) => (
                <Table.Th key={header.id} scope="col">
                  <table.FlexRender header={header} />
                </Table.Th>
              ))}
            </Table.Tr>
          ))}
        </Table.Thead>
        <Table.Tbody>
          {table.getRowModel().rows.map((row) => (
            <Table.Tr
              key={row.id}
              id={`row-${row.id}`}
              aria-current={row.id === highlightId ? 'true' : undefined}
              bg={row.id === highlightId ? 'yellow.1' : undefined}
            >
              {row.getAllCells().map((cell) => (
                <Table.Td key={cell.id}>
                  <table.FlexRender cell={cell} />
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollRegion>
  );
}
