// node:fs in the page: only the Vulkan-loader probe of wgsl-device.ts's Node entry imports it, and the page
// opens its device from navigator.gpu (deviceFrom), never through that probe.
export const existsSync = (): boolean => false;
export const readFileSync = (): never => {
  throw new Error('no file system in the page');
};
