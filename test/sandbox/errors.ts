// ConnectWise's error body ({code, message, errors}) and the exception handlers throw to answer with one.

export interface CwFieldError {
	code: string;
	message: string;
	resource: string;
	field: string;
}

export interface CwErrorBody {
	code: string;
	message: string;
	errors: CwFieldError[] | null;
}

export class ApiError extends Error {
	readonly body: CwErrorBody;

	constructor(
		readonly status: number,
		code: string,
		message: string,
		errors: CwFieldError[] | null = null,
		readonly headers: Record<string, string> = {},
	) {
		super(message);
		this.name = 'ApiError';
		this.body = { code, message, errors };
	}
}

export const notFound = (message: string) => new ApiError(404, 'NotFound', message);

/** A 400 listing every invalid field at once, as ConnectWise validates a whole object. */
export function invalidObject(resource: string, errors: CwFieldError[]): ApiError {
	return new ApiError(400, 'InvalidObject', `${resource} object is invalid`, errors);
}

export function fieldError(resource: string, field: string, message: string, code = 'InvalidObject'): CwFieldError {
	return { code, message, resource, field };
}
