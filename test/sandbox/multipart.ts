// multipart/form-data as the sandboxes read it: text fields and file parts, the file bytes kept as bytes.
export interface MultipartForm {
	fields: Record<string, string>;
	files: Record<string, { fileName: string; contentType: string; data: Buffer }>;
}

/** The boundary of a multipart/form-data content type, or undefined for any other body. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
	if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
	return /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
}

/** Parses the body; throws on a malformed one (the PSA answers 400). */
export function parseMultipart(body: Buffer, boundary: string): MultipartForm {
	const form: MultipartForm = { fields: {}, files: {} };
	const delimiter = Buffer.from(`--${boundary}`);
	let position = body.indexOf(delimiter);
	if (position < 0) throw new Error('no multipart boundary in the body');
	for (;;) {
		position += delimiter.length;
		if (body.subarray(position, position + 2).toString() === '--') return form;
		position += 2; // CRLF after the boundary
		const headerEnd = body.indexOf('\r\n\r\n', position);
		if (headerEnd < 0) throw new Error('a multipart part without headers');
		const headers = body.subarray(position, headerEnd).toString('utf8');
		const next = body.indexOf(delimiter, headerEnd + 4);
		if (next < 0) throw new Error('a multipart part without a closing boundary');
		const content = body.subarray(headerEnd + 4, next - 2); // CRLF before the boundary
		const name = /name="([^"]*)"/i.exec(headers)?.[1];
		if (!name) throw new Error('a multipart part without a name');
		const fileName = /filename="([^"]*)"/i.exec(headers)?.[1];
		if (fileName !== undefined) form.files[name] = { fileName, contentType: /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1]?.trim() ?? 'application/octet-stream', data: Buffer.from(content) };
		else form.fields[name] = content.toString('utf8');
		position = next;
	}
}
