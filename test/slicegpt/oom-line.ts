// The one line the device engine's out-of-memory guard gives (core/slicegpt/engine.ts `guarded`) for ORT's real
// allocation-failure message at a budget: how tests record a slice that ran out of GPU memory where no GPU can be
// exhausted (the line itself is pinned against a real ORT failure in device-oom.test.ts).
import { guarded } from '../../core/slicegpt/engine';

export function outOfMemoryLine(budgetBytes: number): Promise<string> {
  return guarded(
    'attention',
    async () => {
      throw new Error('Failed to allocate a buffer of size 4294967296');
    },
    budgetBytes,
  ).then(
    () => {
      throw new Error('the guard passed a failed allocation through');
    },
    (e: Error) => e.message,
  );
}
