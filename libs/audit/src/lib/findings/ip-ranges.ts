import { BlockList, isIP } from 'node:net';

/** A parsed CIDR block (IPv4 or IPv6). */
export interface IpRange {
  cidr: string;
  list: BlockList;
}

/** Parses `10.0.0.0/8`-style blocks; throws on a malformed one so a bad setting fails the start. */
export function parseIpRanges(cidrs: string[]): IpRange[] {
  return cidrs.map((cidr) => {
    const [address = '', bits = ''] = cidr.trim().split('/');
    const family = isIP(address);
    const prefix = Number(bits === '' ? (family === 6 ? 128 : 32) : bits);
    if (!family || !Number.isInteger(prefix)) throw new Error(`not a CIDR block: ${cidr}`);
    const list = new BlockList();
    list.addSubnet(address, prefix, family === 6 ? 'ipv6' : 'ipv4');
    return { cidr, list };
  });
}

/** True when `ip` is inside one of `ranges`; AWS service names (e.g. `ec2.amazonaws.com`) are never. */
export function ipInRanges(ip: string, ranges: IpRange[]): boolean {
  const family = isIP(ip);
  if (!family) return false;
  return ranges.some((r) => r.list.check(ip, family === 6 ? 'ipv6' : 'ipv4'));
}
