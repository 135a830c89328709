import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNvidiaSmi } from '../../core/hardware/nvidia-smi';
import { parseRocmSmi } from '../../core/hardware/rocm-smi';
import { readAmdgpuSysfs } from '../../core/hardware/amdgpu-sysfs';
import { parseSystemProfiler } from '../../core/hardware/system-profiler';
import { parseWindowsVideo, parseRegQuery, parseFormatList } from '../../core/hardware/windows-video';

const dir = join(import.meta.dirname, '..', 'fixtures', 'hardware');
const fx = (name: string) => readFileSync(join(dir, name), 'utf8');
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

test('nvidia-smi CSV from an H100 gives name, MiB-exact VRAM, free memory and driver', () => {
  const [g, ...rest] = parseNvidiaSmi(fx('nvidia-smi-h100.csv'));
  assert.equal(rest.length, 0);
  assert.deepEqual(g, {
    vendor: 'nvidia',
    name: 'NVIDIA H100 80GB HBM3',
    totalBytes: 81559 * MiB,
    freeBytes: 81079 * MiB,
    driver: '580.159.04',
    unifiedMemory: false,
    source: 'nvidia-smi',
  });
});

test('nvidia-smi CSV from a 2×H200 host lists both GPUs', () => {
  const gpus = parseNvidiaSmi(fx('nvidia-smi-query-2xH200.txt'));
  assert.equal(gpus.length, 2);
  assert.ok(gpus.every((g) => g.name === 'NVIDIA H200' && g.totalBytes === 143771 * MiB && g.freeBytes === 143156 * MiB));
});

test('nvidia-smi failing to reach the driver yields no GPUs, not an error', () => {
  assert.deepEqual(parseNvidiaSmi(fx('nvidia-smi-driver-failed.txt')), []);
  assert.deepEqual(parseNvidiaSmi(''), []);
});

test('nvidia-smi "[N/A]" memory (unified-memory parts) falls back to system RAM as a unified pool', () => {
  const [g] = parseNvidiaSmi('0, NVIDIA GB10, [N/A], [N/A], 580.95.05\n', 128 * GiB);
  assert.equal(g.unifiedMemory, true);
  assert.equal(g.totalBytes, 128 * GiB);
  assert.equal(g.freeBytes, null);
});

test('rocm-smi JSON of an RX 7900 XT gives series name, total and free VRAM', () => {
  const [g] = parseRocmSmi(fx('rocm-smi-rx7900xt.json'));
  assert.equal(g.vendor, 'amd');
  assert.equal(g.name, 'Radeon RX 7900 XT');
  assert.equal(g.totalBytes, 21458059264);
  assert.equal(g.freeBytes, 21458059264 - 27856896);
});

test('rocm-smi JSON without VRAM fields still names the card, with unknown free memory', () => {
  const [g] = parseRocmSmi(fx('rocm-smi-mi250x-productname.json'));
  assert.equal(g.name, 'AMD INSTINCT MI200 (MCM) OAM LC MBA HPE C2');
  assert.equal(g.freeBytes, null);
  assert.deepEqual(parseRocmSmi('ERROR: No AMD GPUs specified'), []);
});

test('amdgpu sysfs: AMD cards are read, Intel cards and connectors skipped, missing tree gives nothing', async () => {
  const gpus = await readAmdgpuSysfs(join(dir, 'amdgpu-sysfs', 'drm'), join(dir, 'amdgpu-sysfs', 'module'));
  assert.equal(gpus.length, 1);
  assert.equal(gpus[0].name, 'AMD GPU 0x744c');
  assert.equal(gpus[0].totalBytes, 21458059264);
  assert.equal(gpus[0].freeBytes, 21458059264 - 27856896);
  assert.equal(gpus[0].source, 'amdgpu-sysfs');
  assert.deepEqual(await readAmdgpuSysfs(join(dir, 'no-such-dir')), []);
});

test('system_profiler on Apple silicon reports unified memory equal to system RAM', () => {
  const [g, ...rest] = parseSystemProfiler(fx('system-profiler-m3pro.json'), 36 * GiB);
  assert.equal(rest.length, 0);
  assert.equal(g.vendor, 'apple');
  assert.equal(g.name, 'Apple M3 Pro');
  assert.equal(g.unifiedMemory, true);
  assert.equal(g.totalBytes, 36 * GiB);
  assert.equal(g.driver, 'metal3');
});

test('Format-List records are split on blank lines and keep wrapped values', () => {
  const recs = parseFormatList(fx('windows-cim-gtx1660.txt') + fx('windows-cim-intel-uhd.txt'));
  assert.equal(recs.length, 2);
  assert.equal(recs[0].AdapterRAM, '4293918720');
  assert.equal(recs[1].PNPDeviceID, 'PCI\\VEN_8086&DEV_9BC4&SUBSYS_170D1043&REV_05\\3&11583659&0&10');
});

test('reg query output maps adapter subkeys to values, ignoring the footer', () => {
  const sizes = parseRegQuery(fx('windows-reg-qwmemorysize.txt'), 'HardwareInformation.qwMemorySize');
  assert.deepEqual(
    [...sizes],
    [
      ['0000', String(2 * GiB)],
      ['0001', String(6 * GiB)],
    ],
  );
  const bin = parseRegQuery(
    'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}\\0002\n    HardwareInformation.qwMemorySize    REG_BINARY    00 00 00 00 03 00 00 00\n',
    'HardwareInformation.qwMemorySize',
  );
  assert.equal(bin.get('0002'), String(12 * GiB));
});

test('Windows: the registry qword replaces AdapterRAM, which saturates at 4 GB', () => {
  const cim = fx('windows-cim-gtx1660.txt') + fx('windows-cim-intel-uhd.txt');
  const gpus = parseWindowsVideo(cim, fx('windows-reg-driverdesc.txt'), fx('windows-reg-qwmemorysize.txt'));
  const nv = gpus.find((g) => g.vendor === 'nvidia')!;
  assert.equal(nv.name, 'NVIDIA GeForce GTX 1660');
  assert.equal(nv.totalBytes, 6 * GiB);
  assert.equal(nv.source, 'windows-cim+registry');
  assert.equal(gpus.find((g) => g.vendor === 'intel')!.totalBytes, 2 * GiB);
  // Without the registry the capped value is kept but labelled as capped.
  const capped = parseWindowsVideo(fx('windows-cim-gtx1660.txt'), '', '');
  assert.equal(capped[0].totalBytes, 4293918720);
  assert.match(capped[0].source, /capped/);
});
