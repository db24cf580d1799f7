import { listObjectsV2, parseListQuery } from './list-objects-v2.operation';
import type { TrailBucket } from './trail-bucket-store';

const KEYS = ['a/1/x', 'a/1/y', 'a/2/x', 'a/3', 'b/1', 'b/2%sign'];

function bucket(): TrailBucket {
  return {
    name: 'trail',
    accountId: '222222222222',
    regions: null,
    objects: KEYS.map((key) => ({ key, body: Buffer.from(key), etag: '"e"', lastModified: new Date(0) })),
  };
}

function list(query: Record<string, string>): {
  keys: string[];
  prefixes: string[];
  token: string | null;
  xml: string;
} {
  const xml = listObjectsV2(bucket(), parseListQuery(new URLSearchParams({ 'list-type': '2', ...query })));
  const all = (tag: string) =>
    [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]);
  const prefixes = [...xml.matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]);
  return { keys: all('Key'), prefixes, token: all('NextContinuationToken')[0] ?? null, xml };
}

function walk(query: Record<string, string>): { keys: string[]; prefixes: string[]; pages: number } {
  const out = { keys: [] as string[], prefixes: [] as string[], pages: 0 };
  let token: string | null = null;
  do {
    const page = list({ ...query, ...(token ? { 'continuation-token': token } : {}) });
    out.keys.push(...page.keys);
    out.prefixes.push(...page.prefixes);
    out.pages++;
    token = page.token;
  } while (token);
  return out;
}

describe('ListObjectsV2', () => {
  it('pages through every key under a prefix in key order, max-keys at a time', () => {
    expect(walk({ prefix: 'a/', 'max-keys': '2' })).toEqual({
      keys: ['a/1/x', 'a/1/y', 'a/2/x', 'a/3'],
      prefixes: [],
      pages: 2,
    });
    expect(list({ 'start-after': 'a/2/x' }).keys).toEqual(['a/3', 'b/1', 'b/2%sign']);
  });

  it('rolls keys up under the delimiter and resumes after a rolled-up prefix', () => {
    expect(walk({ prefix: 'a/', delimiter: '/', 'max-keys': '1' })).toEqual({
      keys: ['a/3'],
      prefixes: ['a/1/', 'a/2/'],
      pages: 3,
    });
  });

  it('counts keys and prefixes in KeyCount, reports truncation, and url-encodes keys on request', () => {
    const page = list({ 'max-keys': '2', 'encoding-type': 'url' });
    expect(page.xml).toContain(
      '<KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>',
    );
    expect(list({ prefix: 'b/2', 'encoding-type': 'url' }).keys).toEqual(['b/2%25sign']);
  });

  it('refuses a bad max-keys or continuation token with InvalidArgument', () => {
    expect(() => parseListQuery(new URLSearchParams({ 'max-keys': '-1' }))).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
    expect(() => list({ 'continuation-token': 'not-a-token' })).toThrow(
      expect.objectContaining({ code: 'InvalidArgument' }),
    );
  });
});
