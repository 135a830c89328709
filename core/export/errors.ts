// User-facing export errors: one line each, no stack (the CLI prints the message only).

/** Bad input to an export or a verification: a missing folder, an unknown format, no room on disk. */
export class ExportError extends Error {
  override name = 'ExportError';
}

/** The exported file loaded but disagrees with itself or with its source (a bug, reported as such). */
export class VerifyError extends Error {
  override name = 'VerifyError';
}
