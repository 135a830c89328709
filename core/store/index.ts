export { Store, StoreError } from './store';
export { runFingerprint } from './fingerprint';
export { SCHEMA_VERSION } from './migrations';
export type * from './types';
