// ORT's own profile of the sessions the slicing passes and the device helpers create, for benchmarks on a GPU:
// SLICE_STUDIO_ORT_PROFILE=<existing folder> turns on each session's `enableProfiling`, its trace written as
// <folder>/<tag>_<time>.json when the session ends profiling (releaseSession, before it is released). On the WebGPU
// EP the trace holds, besides every node's host time ("Node" events), each GPU program's time from timestamp
// queries where the adapter has them ("Api" events named after the program, with its shapes): where a layer's GPU
// time goes, which the synchronous run hides behind one download. bench/device/ort-profile.py sums a folder of them.
// Off (the default) nothing changes: no option is passed and sessions are released as before.
import type { InferenceSession } from 'onnxruntime-node';

const processEnv = (): Record<string, string | undefined> => (typeof process === 'undefined' ? {} : process.env);

type ProfileOptions = Pick<InferenceSession.SessionOptions, 'enableProfiling' | 'profileFilePrefix'>;

/** The profiling options for a session tagged `tag` (its graph key), or none when SLICE_STUDIO_ORT_PROFILE is unset. */
export function profileOptions(tag: string, env: Record<string, string | undefined> = processEnv()): ProfileOptions | Record<string, never> {
  const dir = env.SLICE_STUDIO_ORT_PROFILE;
  if (!dir) return {};
  const name = tag.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 80) || 'session';
  return { enableProfiling: true, profileFilePrefix: `${dir.replace(/\/+$/, '')}/${name}` };
}

/** Releases `s` (nothing for null), ending its profile first when profiling is on (ORT writes the trace then). */
export async function releaseSession(s: InferenceSession | null, env: Record<string, string | undefined> = processEnv()): Promise<void> {
  if (!s) return;
  if (env.SLICE_STUDIO_ORT_PROFILE) {
    try {
      s.endProfiling();
    } catch {
      // A session created before the variable was set has no profile to end.
    }
  }
  await s.release();
}
