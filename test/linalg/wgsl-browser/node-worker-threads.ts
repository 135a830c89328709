// node:worker_threads in the page: the page bundle sets SLICE_STUDIO_SECULAR_THREADS to 1, so the D&C's secular
// equation runs in place and no worker is ever made; one that were would say so.
export class Worker {
  constructor() {
    throw new Error('worker threads are not available in the page (the secular solve runs serially there)');
  }
}
export class MessageChannel {
  constructor() {
    throw new Error('message channels are not available in the page (the secular solve runs serially there)');
  }
}
export function receiveMessageOnPort(): undefined {
  return undefined;
}
