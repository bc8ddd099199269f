/**
 * The storage library's errors are pfs errors: the library is part of pfs's data plane, and a
 * corrupted chunk read by a worker or the S3 gateway must surface as the same `DATA_LOSS` that pfs
 * itself would report.
 */
import { errorFactory } from '../../platform/errors.ts';

export const storageErrors = errorFactory('pfs');
