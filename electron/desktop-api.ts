// The desktop's API: the service with the methods only a desktop can offer (a native folder picker)
// swapped in. A Proxy rather than a subclass keeps the service's #private fields working.
import type { SliceStudioApi } from '../core/api/contract';

export function withOverrides<T extends SliceStudioApi>(api: T, overrides: Partial<SliceStudioApi>): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && Object.prototype.hasOwnProperty.call(overrides, prop)) {
        return overrides[prop as keyof SliceStudioApi];
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
