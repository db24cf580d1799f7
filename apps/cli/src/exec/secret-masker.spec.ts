import { MASK, SecretMasker } from './secret-masker';

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ';

function run(secrets: string[], chunks: string[]): string {
  const masker = new SecretMasker(new Set(secrets));
  return chunks.map((c) => masker.push(Buffer.from(c)).toString()).join('') + masker.flush().toString();
}

describe('SecretMasker', () => {
  it('masks a secret inside one chunk, every time it appears', () => {
    expect(run([SECRET], [`key=${SECRET} again ${SECRET}\n`])).toBe(`key=${MASK} again ${MASK}\n`);
  });

  it.each([1, 5, 20, SECRET.length - 1])('masks a secret split after %p characters', (cut) => {
    expect(run([SECRET], [`a ${SECRET.slice(0, cut)}`, `${SECRET.slice(cut)} b`])).toBe(`a ${MASK} b`);
  });

  it('masks a secret arriving one byte per chunk', () => {
    expect(run([TOKEN, SECRET], [...`x${TOKEN}y`])).toBe(`x${MASK}y`);
  });

  it('releases a held-back prefix once it turns out not to be a secret', () => {
    const masker = new SecretMasker(new Set([SECRET]));
    expect(masker.push(Buffer.from('see wJal')).toString()).toBe('see ');
    expect(masker.push(Buffer.from('ly\n')).toString()).toBe('wJally\n');
  });

  it('flushes a harmless tail at the end of the stream', () => {
    expect(run([SECRET], ['ends with wJ'])).toBe('ends with wJ');
  });

  it('masks secrets added after the stream started (refreshed credentials)', () => {
    const secrets = new Set<string>([SECRET]);
    const masker = new SecretMasker(secrets);
    masker.push(Buffer.from('first\n'));
    secrets.add(TOKEN);
    expect(masker.push(Buffer.from(`${TOKEN}\n`)).toString()).toBe(`${MASK}\n`);
  });

  it('passes multi-byte characters split across chunks through unchanged', () => {
    const bytes = Buffer.from('héllo ✓');
    const masker = new SecretMasker(new Set([SECRET]));
    const out = Buffer.concat([
      masker.push(bytes.subarray(0, 2)),
      masker.push(bytes.subarray(2)),
      masker.flush(),
    ]);
    expect(out.toString('utf8')).toBe('héllo ✓');
  });
});
