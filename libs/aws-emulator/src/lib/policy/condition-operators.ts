import { arnMatches, wildcardMatcher } from './wildcard';

/** Compares one request value with one policy value, for the positive form of an operator family. */
type Comparator = (requestValue: string, policyValue: string) => boolean;

interface OperatorSpec {
  compare: Comparator;
  negated: boolean;
}

const stringEquals: Comparator = (v, p) => v === p;
const stringEqualsIgnoreCase: Comparator = (v, p) => v.toLowerCase() === p.toLowerCase();
const stringLike: Comparator = (v, p) => wildcardMatcher(p, false)(v);
const arnLike: Comparator = (v, p) => arnMatches(p, v);
const bool: Comparator = (v, p) => v.toLowerCase() === p.toLowerCase();
const binaryEquals: Comparator = (v, p) => v === p;

function numeric(test: (a: number, b: number) => boolean): Comparator {
  return (v, p) => {
    const a = Number(v);
    const b = Number(p);
    return v.trim() !== '' && p.trim() !== '' && !Number.isNaN(a) && !Number.isNaN(b) && test(a, b);
  };
}

function date(test: (a: number, b: number) => boolean): Comparator {
  return (v, p) => {
    const a = toEpochMs(v);
    const b = toEpochMs(p);
    return a !== null && b !== null && test(a, b);
  };
}

function toEpochMs(value: string): number | null {
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

const ipAddress: Comparator = (v, p) => ipInCidr(v, p);

function ipInCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const a = ipv4ToInt(ip);
  const b = ipv4ToInt(base);
  if (a === null || b === null) return ip.toLowerCase() === cidr.toLowerCase();
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

function ipv4ToInt(ip: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.replace(/^::ffff:/, ''));
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

const positive = (compare: Comparator): OperatorSpec => ({ compare, negated: false });
const negative = (compare: Comparator): OperatorSpec => ({ compare, negated: true });

/** Every base condition operator IAM defines (without `ForAnyValue:`/`ForAllValues:`/`IfExists`). */
const OPERATORS: Readonly<Record<string, OperatorSpec>> = {
  stringequals: positive(stringEquals),
  stringnotequals: negative(stringEquals),
  stringequalsignorecase: positive(stringEqualsIgnoreCase),
  stringnotequalsignorecase: negative(stringEqualsIgnoreCase),
  stringlike: positive(stringLike),
  stringnotlike: negative(stringLike),
  numericequals: positive(numeric((a, b) => a === b)),
  numericnotequals: negative(numeric((a, b) => a === b)),
  numericlessthan: positive(numeric((a, b) => a < b)),
  numericlessthanequals: positive(numeric((a, b) => a <= b)),
  numericgreaterthan: positive(numeric((a, b) => a > b)),
  numericgreaterthanequals: positive(numeric((a, b) => a >= b)),
  dateequals: positive(date((a, b) => a === b)),
  datenotequals: negative(date((a, b) => a === b)),
  datelessthan: positive(date((a, b) => a < b)),
  datelessthanequals: positive(date((a, b) => a <= b)),
  dategreaterthan: positive(date((a, b) => a > b)),
  dategreaterthanequals: positive(date((a, b) => a >= b)),
  bool: positive(bool),
  binaryequals: positive(binaryEquals),
  ipaddress: positive(ipAddress),
  notipaddress: negative(ipAddress),
  arnequals: positive(arnLike),
  arnlike: positive(arnLike),
  arnnotequals: negative(arnLike),
  arnnotlike: negative(arnLike),
};

/** A parsed operator name such as `ForAllValues:StringNotLikeIfExists`. */
export interface ParsedOperator {
  name: string;
  set: 'any' | 'all' | null;
  ifExists: boolean;
  /** `Null` checks presence instead of comparing values. */
  isNull: boolean;
  compare: Comparator;
  negated: boolean;
}

/** Parses an operator name; null when IAM would not know it. */
export function parseOperator(name: string): ParsedOperator | null {
  let rest = name;
  let set: ParsedOperator['set'] = null;
  const lower = rest.toLowerCase();
  if (lower.startsWith('foranyvalue:')) set = 'any';
  else if (lower.startsWith('forallvalues:')) set = 'all';
  if (set) rest = rest.slice(rest.indexOf(':') + 1);
  if (rest.toLowerCase() === 'null') {
    return set ? null : { name, set, ifExists: false, isNull: true, compare: stringEquals, negated: false };
  }
  const ifExists = /ifexists$/i.test(rest);
  if (ifExists) rest = rest.slice(0, -'IfExists'.length);
  const spec = OPERATORS[rest.toLowerCase()];
  return spec ? { name, set, ifExists, isNull: false, compare: spec.compare, negated: spec.negated } : null;
}
