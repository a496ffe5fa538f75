// Test helper: the PsaError a call fails with, for asserting its kind, hint and status (any other error is rethrown).
import { PsaError } from '../../lib/providers/errors';

export async function rejection(promise: Promise<unknown>): Promise<PsaError> {
	try {
		await promise;
	} catch (error) {
		if (error instanceof PsaError) return error;
		throw error;
	}
	throw new Error('expected the call to fail');
}
