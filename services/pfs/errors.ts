/** pfs's errors: every message starts with `pfs: ` and names the offending value. */
import { errorFactory } from '../platform/errors.ts';

export const pfsErrors = errorFactory('pfs');
