// `STEPS=probe` in bench/device/go.sh: the WebGPU adapter Dawn (the webgpu npm package) gives on this GPU — its features
// (shader-f16, subgroups, chromium-experimental-subgroup-matrix: a tensor-core path for WGSL GEMMs?), limits and
// subgroup-matrix configurations, with and without allow_unsafe_apis. One JSON line per option set.
const { create, globals } = (await import('webgpu')).default ?? (await import('webgpu'));
Object.assign(globalThis, globals);
for (const opts of [[], ['enable-dawn-features=allow_unsafe_apis']]) {
  const gpu = create(opts);
  const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) {
    console.log(JSON.stringify({ opts, adapter: null }));
    continue;
  }
  const feats = [...a.features].sort();
  const info = a.info ? { vendor: a.info.vendor, architecture: a.info.architecture, device: a.info.device, description: a.info.description, subgroupMinSize: a.info.subgroupMinSize, subgroupMaxSize: a.info.subgroupMaxSize } : null;
  const out = { opts, info, feats, maxStorage: a.limits.maxStorageBufferBindingSize, maxBuf: a.limits.maxBufferSize, wgStorage: a.limits.maxComputeWorkgroupStorageSize, invocations: a.limits.maxComputeInvocationsPerWorkgroup };
  try {
    out.subgroupMatrixConfigs = a.info?.subgroupMatrixConfigs ?? null;
  } catch (e) {
    out.smErr = String(e);
  }
  const want = feats.filter((f) => /subgroup|shader-f16|timestamp/.test(f));
  try {
    const d = await a.requestDevice({ requiredFeatures: want });
    out.deviceFeatures = [...d.features].sort();
    d.destroy();
  } catch (e) {
    out.devErr = String(e).slice(0, 300);
  }
  console.log(JSON.stringify(out));
}
process.exit(0);
