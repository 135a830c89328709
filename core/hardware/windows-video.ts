// Windows: `Get-CimInstance Win32_VideoController | Format-List …` names the adapters, but its AdapterRAM is
// a uint32 and saturates at 4 GB (4293918720) for any larger card. The display driver writes the true size
// as a 64-bit value, HardwareInformation.qwMemorySize, under the display-adapter class key; `reg query`
// reads it without admin rights. We join the two on the driver description (= the adapter name).
import type { GpuInfo } from './types';
import { vendorFromText } from './vendor';

export const CIM_SCRIPT = 'Get-CimInstance Win32_VideoController | Format-List Name,AdapterCompatibility,AdapterRAM,DriverVersion,PNPDeviceID';
export const DISPLAY_CLASS_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Class\\{4d36e968-e325-11ce-bfc1-08002be10318}';

/** Records of PowerShell's `Format-List` output: "Key : value" lines, records separated by blank lines. */
export function parseFormatList(text: string): Record<string, string>[] {
  const records: Record<string, string>[] = [];
  let cur: Record<string, string> | null = null;
  let lastKey: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim()) {
      if (cur && Object.keys(cur).length) records.push(cur);
      cur = null;
      lastKey = null;
      continue;
    }
    const m = /^(\S[^:]*?)\s*:\s?(.*)$/.exec(raw);
    if (m && !/^\s/.test(raw)) {
      cur ??= {};
      lastKey = m[1].trim();
      cur[lastKey] = m[2].trim();
    } else if (cur && lastKey && /^\s/.test(raw)) {
      cur[lastKey] += raw.trim(); // Format-List wraps long values onto indented lines
    }
  }
  if (cur && Object.keys(cur).length) records.push(cur);
  return records;
}

/** `reg query <key> /s /v <name>` → adapter subkey ("0000") → value. Only the numbered adapter subkeys count. */
export function parseRegQuery(text: string, valueName: string): Map<string, string> {
  const out = new Map<string, string>();
  let sub: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (/^HKEY_/i.test(line)) {
      const m = /\{4d36e968-e325-11ce-bfc1-08002be10318\}\\(\d{4})$/i.exec(line.trim());
      sub = m ? m[1] : null;
      continue;
    }
    const v = /^\s+(\S+)\s+(REG_\w+)\s+(.*)$/.exec(line);
    if (sub && v && v[1].toLowerCase() === valueName.toLowerCase()) out.set(sub, regValue(v[2], v[3].trim()));
  }
  return out;
}

/** REG_QWORD/REG_DWORD print hex ("0x600000000"); some drivers store the size as REG_BINARY little-endian bytes. */
function regValue(type: string, data: string): string {
  if (/^REG_(Q|D)WORD$/i.test(type)) return String(BigInt(data));
  if (/^REG_BINARY$/i.test(type)) {
    const bytes = data
      .split(/\s+/)
      .filter(Boolean)
      .map((b) => BigInt(parseInt(b, 16)));
    return String(bytes.reduceRight((acc, b) => (acc << 8n) | b, 0n));
  }
  return data;
}

/** The uint32 ceiling WMI reports for every card of 4 GB or more. */
const ADAPTER_RAM_CAP = 4293918720;

export function parseWindowsVideo(cimText: string, regNames: string, regSizes: string): GpuInfo[] {
  const names = parseRegQuery(regNames, 'DriverDesc');
  const sizes = parseRegQuery(regSizes, 'HardwareInformation.qwMemorySize');
  const sizeByName = new Map<string, number>();
  for (const [sub, name] of names) {
    const s = Number(sizes.get(sub) ?? NaN);
    if (Number.isFinite(s) && s > 0 && !sizeByName.has(name)) sizeByName.set(name, s);
  }
  const gpus: GpuInfo[] = [];
  for (const r of parseFormatList(cimText)) {
    const name = r.Name || r.Caption || r.Description;
    if (!name) continue;
    // The basic display driver and remote-desktop adapters are not GPUs anyone can compute on.
    if (/Microsoft (Basic|Remote)|Remote Display/i.test(name)) continue;
    const adapterRam = Number(r.AdapterRAM);
    const reg = sizeByName.get(name);
    const total = reg ?? (Number.isFinite(adapterRam) ? adapterRam : 0);
    gpus.push({
      vendor: vendorFromText(name, r.AdapterCompatibility, r.PNPDeviceID),
      name,
      totalBytes: total,
      freeBytes: null,
      driver: r.DriverVersion || null,
      unifiedMemory: false,
      source: reg !== undefined ? 'windows-cim+registry' : adapterRam >= ADAPTER_RAM_CAP ? 'windows-cim (capped at 4 GB)' : 'windows-cim',
    });
  }
  return gpus;
}
