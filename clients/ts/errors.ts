/**
 * Errors raised by the client library itself, before anything reaches a server (a malformed ref,
 * an address that is not `host:port`, an unreadable context file). They are ordinary
 * `TerrainError`s with service "client", so callers tell them apart by `code` exactly as they do
 * for errors decoded from gRPC statuses.
 */
import { errorFactory } from '../../services/platform/errors.ts';

export const clientErrors = errorFactory('client');
