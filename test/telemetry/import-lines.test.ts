import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clip } from '../../telemetry/errors';
import { checkNotBinary, fileLines, type SourceLine } from '../../telemetry/import-lines';
import { suggestFormat } from '../../telemetry/import-sniff';
import { importNdjson, importUciOccupancy } from '../../telemetry/importers';
import { THERMOSTAT } from '../../telemetry/signals';

const UCI = [
  '"date","Temperature","Humidity","Light","CO2","HumidityRatio","Occupancy"',
  '"1","2015-02-04 17:51:00",23.18,27.272,426,721.25,0.00479298817650529,1',
].join('\n');

describe('streamed import lines', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'import-lines-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const read = async (file: string, opts: { maxLineBytes?: number } = {}): Promise<SourceLine[]> => {
    const lines: SourceLine[] = [];
    for await (const batch of fileLines(file, { what: 'ndjson', ...opts })) lines.push(...batch);
    return lines;
  };

  it('drops a UTF-8 BOM, splits LF and CRLF, keeps line numbers, and reads a last line without a newline', async () => {
    const file = join(dir, 'bom.csv');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a,b\r\n\r\n1,2\n3,4')]));
    const lines = await read(file);
    expect(lines.map((l) => [l.line, l.text])).toEqual([
      [1, 'a,b'],
      [2, ''],
      [3, '1,2'],
      [4, '3,4'],
    ]);
  });

  it('keeps only a prefix of a line over the limit, with its real length, and reads on after it', async () => {
    const file = join(dir, 'long.txt');
    const long = 'x'.repeat(5 * 1024 * 1024);
    writeFileSync(file, `first\n${long}\nlast\n`);
    const lines = await read(file);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatchObject({ line: 2, truncated: true, bytes: long.length });
    expect(lines[1]?.text.length).toBeLessThanOrEqual(256);
    expect(lines[2]).toMatchObject({ line: 3, text: 'last', truncated: false });
  });

  it('refuses binary input (NUL bytes, non-UTF-8) with one error, and names UTF-16', async () => {
    const file = join(dir, 'garbage.bin');
    writeFileSync(file, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151 + 7) % 256)));
    await expect(read(file)).rejects.toThrow(/looks like a binary file .*not ndjson/);
    expect(() => checkNotBinary(Buffer.from([0x7b, 0x00, 0x7d]), 'ndjson')).toThrow(/binary/);
    expect(() => checkNotBinary(Buffer.from([0xff, 0xfe, 0x7b, 0x00]), 'ndjson')).toThrow(/UTF-16/);
    const mac = join(dir, 'mac.csv');
    writeFileSync(mac, 'a,b\r1,2\r3,4\r');
    await expect(read(mac)).rejects.toThrow(/CR-only \(classic Mac\) line endings/);
    // A multi-byte character cut at the sniff boundary is still text.
    expect(() => checkNotBinary(Buffer.from('é'.repeat(600)).subarray(0, 1023), 'ndjson')).not.toThrow();
  });

  it('accepts a BOM in every text importer', () => {
    const bom = '\uFEFF';
    expect(importUciOccupancy(bom + UCI, { now: Date.UTC(2026, 0, 1) }).readings).toHaveLength(1);
    const line = JSON.stringify({
      thingName: 'r1',
      timestamp: Date.UTC(2025, 11, 1),
      temperature: 21,
      humidity: 40,
      sound: 5,
      hvacStatus: 'OFF',
    });
    expect(importNdjson(bom + line, THERMOSTAT, { now: Date.UTC(2026, 0, 1) }).readings).toHaveLength(1);
  });

  it('quotes at most a short prefix of an offending value, with its size', () => {
    const huge = 'h'.repeat(5_000_000);
    const quoted = clip(huge);
    expect(quoted.length).toBeLessThan(120);
    expect(quoted).toContain('(5000000 bytes)');
    expect(() => importUciOccupancy(`${huge}\n1,2`)).toThrow(/^Not a uci-occupancy file: header lacks .{0,200}$/s);
  });

  it('suggests the format a first line looks like', () => {
    expect(suggestFormat('{"thingName":"a"}')).toBe('ndjson');
    expect(suggestFormat(UCI.split('\n')[0] ?? '')).toBe('uci-occupancy');
    expect(suggestFormat('Date,Time,S1_Temp,Room_Occupancy_Count')).toBe('uci-room-occupancy');
    expect(suggestFormat('"thing_name","ts","sound"')).toBe('iot-analytics-csv');
    expect(suggestFormat('when,co2,occ')).toBe('csv');
    expect(suggestFormat('hello')).toBeUndefined();
  });
});
