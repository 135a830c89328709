// Whether Dawn can find a Vulkan loader on Linux, its only GPU backend there. Without one, dawn.node prints a
// two-line native warning ("Couldn't load Vulkan … at operator() (BackendVk.cpp)") that reads like a crash;
// looking first lets the WGSL solver's fallback be the app's own one line instead. Other systems: true
// (Dawn uses D3D12 or Metal there).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const LOADER = 'libvulkan.so.1';
// Searched by the dynamic linker even when its cache is stale.
const DEFAULT_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64'];

export function vulkanLoaderFound(platform: NodeJS.Platform = process.platform, env: Record<string, string | undefined> = process.env, cache = '/etc/ld.so.cache', defaultDirs = DEFAULT_DIRS): boolean {
  if (platform !== 'linux') return true;
  for (const dir of [...(env.LD_LIBRARY_PATH ?? '').split(':'), ...defaultDirs]) if (dir && existsSync(join(dir, LOADER))) return true;
  try {
    return readFileSync(cache).includes(LOADER);
  } catch {
    return false;
  }
}
