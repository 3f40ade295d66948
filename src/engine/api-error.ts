/** The error an engine operation answers with: a code the UI can act on, and diagnostics. */
import type { ApiErrorData } from '../shared/api.js';
import type { Diagnostic } from '../shared/diagnostics.js';
import type { HostKeyReport } from '../shared/hostkeys.js';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorData['code'],
    message: string,
    readonly diagnostics?: readonly Diagnostic[],
    readonly hostKeys?: readonly HostKeyReport[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toData(): ApiErrorData {
    return { code: this.code, message: this.message, ...(this.diagnostics ? { diagnostics: this.diagnostics } : {}), ...(this.hostKeys?.length ? { hostKeys: this.hostKeys } : {}) };
  }
}
