// node:path in the page (imported beside node:fs by the Vulkan-loader probe, unused there).
export const join = (...parts: string[]): string => parts.join('/');
