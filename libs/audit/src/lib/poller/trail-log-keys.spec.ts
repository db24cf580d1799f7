import { LOG_FILE_KEY, logKeyFloor, logKeyMinute, trailRegionFolder } from './trail-log-keys';

const ACCT = '222222222222';
const key = (folder: string, stamp: string, day = '2026/12/02', suffix = 'a1B2c3D4e5F6g7H8') =>
  `${folder}${day}/${ACCT}_CloudTrail_us-east-1_${stamp}_${suffix}.json.gz`;

describe('trail log keys', () => {
  it("builds a region's folder with or without a prefix (one slash after it)", () => {
    expect(trailRegionFolder(null, ACCT, 'us-east-1')).toBe(`AWSLogs/${ACCT}/CloudTrail/us-east-1/`);
    expect(trailRegionFolder('org/trails', ACCT, 'eu-west-1')).toBe(`org/trails/AWSLogs/${ACCT}/CloudTrail/eu-west-1/`);
    expect(trailRegionFolder('org/trails/', ACCT, 'eu-west-1')).toBe(`org/trails/AWSLogs/${ACCT}/CloudTrail/eu-west-1/`);
  });

  it("sorts a minute's floor after every earlier file and before every file of that minute, whatever their random suffix", () => {
    const folder = trailRegionFolder(null, ACCT, 'us-east-1');
    const floor = logKeyFloor(folder, ACCT, 'us-east-1', Date.UTC(2026, 11, 2, 7, 5, 42));
    const keys = [
      key(folder, '20261201T2359Z', '2026/12/01', 'zzzzzzzzzzzzzzzz'),
      key(folder, '20261202T0704Z', undefined, 'zzzzzzzzzzzzzzzz'),
      key(folder, '20261202T0705Z', undefined, '0000000000000000'),
      key(folder, '20261202T0705Z', undefined, 'ZZZZZZZZZZZZZZZZ'),
      key(folder, '20261202T0706Z'),
      key(folder, '20261203T0000Z', '2026/12/03'),
    ];
    expect(keys.filter((k) => k > floor)).toEqual(keys.slice(2));
  });

  it('reads the delivery minute back from a name, and null from names CloudTrail did not make', () => {
    expect(logKeyMinute(key('AWSLogs/x/', '20261202T0705Z'))).toBe(Date.UTC(2026, 11, 2, 7, 5));
    expect(logKeyMinute('AWSLogs/notes.json.gz')).toBeNull();
    expect(LOG_FILE_KEY.test('a.json.gz') && LOG_FILE_KEY.test('a.json') && !LOG_FILE_KEY.test('a.json.gz.sig')).toBe(true);
  });
});
