/**
 * A template or condition could not be parsed. `offset` is the index into the parsed
 * text, so compile can point at the column inside the HCL string.
 */
import { MaestroError } from '../errors.js';

export class TemplateError extends MaestroError {
  /** The problem without the position, e.g. "expected ')'". */
  readonly reason: string;

  constructor(
    reason: string,
    readonly offset: number,
  ) {
    super('MAESTRO_ERR_TEMPLATE', `${reason} at offset ${offset}`);
    this.reason = reason;
  }
}
