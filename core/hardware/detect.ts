// One snapshot of the machine. Every vendor tool is optional: a missing or failing tool contributes no
// GPUs and never an exception, so `detectHardware()` always returns a report.
import { cpus, freemem, totalmem, platform as osPlatform, release, arch } from 'node:os';
import { statfs, mkdir } from 'node:fs/promises';
import { dataDir } from '../base/paths';
import type { GpuInfo, HardwareReport } from './types';
import { runTool } from './run-tool';
import { parseNvidiaSmi, NVIDIA_SMI_ARGS } from './nvidia-smi';
import { parseRocmSmi, ROCM_SMI_ARGS } from './rocm-smi';
import { readAmdgpuSysfs } from './amdgpu-sysfs';
import { parseSystemProfiler, SYSTEM_PROFILER_ARGS } from './system-profiler';
import { parseWindowsVideo, CIM_SCRIPT, DISPLAY_CLASS_KEY } from './windows-video';
import { probeProviders, chooseProvider, candidateProviders } from './provider-probe';

export interface DetectOptions {
  /** Where disk space is measured (default: the user data directory). */
  dataDir?: string;
  /** Start a session per execution provider in child processes (default true; ~1 s each, in parallel). */
  probeProviders?: boolean;
}

export async function detectGpus(ramBytes: number): Promise<GpuInfo[]> {
  const plat = osPlatform();
  if (plat === 'darwin') {
    const out = await runTool('system_profiler', SYSTEM_PROFILER_ARGS, 15000);
    return out ? parseSystemProfiler(out, ramBytes) : [];
  }
  const nvidia = runTool('nvidia-smi', NVIDIA_SMI_ARGS).then((o) => (o ? parseNvidiaSmi(o, ramBytes) : []));
  if (plat === 'win32') {
    const ps = ['-NoProfile', '-NonInteractive', '-Command', CIM_SCRIPT];
    const [nv, cim, names, sizes] = await Promise.all([
      nvidia,
      runTool('powershell.exe', ps, 15000),
      runTool('reg', ['query', DISPLAY_CLASS_KEY, '/s', '/v', 'DriverDesc']),
      runTool('reg', ['query', DISPLAY_CLASS_KEY, '/s', '/v', 'HardwareInformation.qwMemorySize']),
    ]);
    const others = cim ? parseWindowsVideo(cim, names ?? '', sizes ?? '') : [];
    // nvidia-smi knows free memory and the exact total; keep CIM's entry only for the other vendors.
    return [...nv, ...(nv.length ? others.filter((g) => g.vendor !== 'nvidia') : others)];
  }
  const [nv, rocm] = await Promise.all([nvidia, runTool('rocm-smi', ROCM_SMI_ARGS).then((o) => (o ? parseRocmSmi(o) : []))]);
  const amd = rocm.length ? rocm : await readAmdgpuSysfs();
  return [...nv, ...amd];
}

export async function detectHardware(opts: DetectOptions = {}): Promise<HardwareReport> {
  const ramTotal = totalmem();
  const dir = opts.dataDir ?? dataDir();
  const [gpus, disk, providers] = await Promise.all([
    detectGpus(ramTotal),
    (async () => {
      await mkdir(dir, { recursive: true }).catch(() => undefined);
      try {
        const s = await statfs(dir);
        return { path: dir, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      } catch {
        return { path: dir, freeBytes: 0, totalBytes: 0 };
      }
    })(),
    opts.probeProviders === false ? Promise.resolve([]) : probeProviders(candidateProviders()),
  ]);
  const cpuList = cpus();
  return {
    gpus,
    cpu: { model: cpuList[0]?.model.trim() ?? 'unknown CPU', cores: cpuList.length },
    ram: { totalBytes: ramTotal, freeBytes: freemem() },
    disk,
    providers,
    chosenProvider: chooseProvider(providers),
    platform: `${osPlatform()} ${release()} ${arch()}`,
    detectedAt: new Date().toISOString(),
  };
}

export { formatHardware } from './format';
export type { HardwareReport, GpuInfo, ProviderProbe, ExecutionProvider } from './types';
