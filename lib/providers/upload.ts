// Upload bodies built as streams: a multipart form around a file, and a JSON object whose base64 field is encoded chunk by chunk (one copy of the file, never its whole base64).
import { randomBytes } from 'node:crypto';
import type { HttpUpload } from './http';
import type { PsaUploadContent } from './types';

/** multipart/form-data: the text fields, then the file part streamed from its content. */
export function multipartUpload(fields: Record<string, string>, file: { field: string; fileName: string; contentType: string; content: PsaUploadContent }): HttpUpload {
	const boundary = `----psa-bridge-${randomBytes(12).toString('hex')}`;
	const quoted = (text: string) => text.replace(/["\\\r\n]/g, (character) => (character === '"' ? '%22' : character === '\\' ? '\\\\' : ' '));
	const head = Buffer.from(
		Object.entries(fields)
			.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(name)}"\r\n\r\n${value}\r\n`)
			.join('') +
			`--${boundary}\r\nContent-Disposition: form-data; name="${quoted(file.field)}"; filename="${quoted(file.fileName)}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
		'utf8',
	);
	const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'utf8');
	return {
		contentType: `multipart/form-data; boundary=${boundary}`,
		length: head.length + file.content.size + tail.length,
		async *chunks() {
			yield head;
			yield* counted(file.content);
			yield tail;
		},
	};
}

/**
 * `{...fields, [dataField]: base64(content)}` as JSON, the base64 produced per chunk (3-byte aligned); with `inArray`,
 * that object as the one record of a JSON array (HaloPSA's upserts take arrays only).
 */
export function jsonBase64Upload(fields: Record<string, unknown>, dataField: string, content: PsaUploadContent, options: { inArray?: boolean } = {}): HttpUpload {
	const open = JSON.stringify(fields);
	const head = Buffer.from(`${options.inArray ? '[' : ''}${open.slice(0, -1)}${open.length > 2 ? ',' : ''}${JSON.stringify(dataField)}:"`, 'utf8');
	const tail = Buffer.from(options.inArray ? '"}]' : '"}', 'utf8');
	return {
		contentType: 'application/json',
		length: head.length + Math.ceil(content.size / 3) * 4 + tail.length,
		async *chunks() {
			yield head;
			let carry = Buffer.alloc(0);
			for await (const chunk of counted(content)) {
				const joined = carry.length ? Buffer.concat([carry, chunk]) : chunk;
				const whole = joined.length - (joined.length % 3);
				if (whole) yield Buffer.from(joined.subarray(0, whole).toString('base64'), 'ascii');
				carry = Buffer.from(joined.subarray(whole));
			}
			if (carry.length) yield Buffer.from(carry.toString('base64'), 'ascii');
			yield tail;
		},
	};
}

/** The content's chunks, checked to add up to its declared size (a short or long stream would corrupt the body's length). */
async function* counted(content: PsaUploadContent): AsyncIterable<Buffer> {
	let seen = 0;
	for await (const chunk of content.open()) {
		const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
		seen += bytes.length;
		if (seen > content.size) throw new Error(`The file is longer than its declared ${content.size} bytes`);
		yield bytes;
	}
	if (seen !== content.size) throw new Error(`The file ended after ${seen} of its declared ${content.size} bytes`);
}

/** Content types by file extension, for files whose source names none. */
const CONTENT_TYPES: Record<string, string> = {
	txt: 'text/plain',
	log: 'text/plain',
	csv: 'text/csv',
	json: 'application/json',
	xml: 'application/xml',
	html: 'text/html',
	htm: 'text/html',
	md: 'text/markdown',
	pdf: 'application/pdf',
	png: 'image/png',
	jpg: 'image/jpeg',
	jpeg: 'image/jpeg',
	gif: 'image/gif',
	svg: 'image/svg+xml',
	webp: 'image/webp',
	zip: 'application/zip',
	gz: 'application/gzip',
	docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
	xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** The given content type when it is one, else the file extension's, else application/octet-stream. */
export function contentTypeOf(fileName: string, given?: string): string {
	if (given && /^[\w.+-]+\/[\w.+-]+(\s*;.*)?$/.test(given.trim())) return given.trim();
	const extension = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? '';
	return CONTENT_TYPES[extension] ?? 'application/octet-stream';
}

/** Content from bytes already in memory (tests, small files): chunks are views, never copies. */
export function bufferContent(data: Buffer, chunkBytes = 256 * 1024): PsaUploadContent {
	return {
		size: data.length,
		async *open() {
			for (let offset = 0; offset < data.length; offset += chunkBytes) yield data.subarray(offset, Math.min(data.length, offset + chunkBytes));
		},
	};
}
