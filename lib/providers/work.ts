// The checks every provider applies to a time entry or an attachment before anything is sent (same words for each PSA).
import { PsaError } from './errors';
import type { PsaAttachmentCreate, PsaBillable, PsaTimeEntryCreate, PsaWorkCapabilities } from './types';
import { recordId } from './values';

export const BILLABLE_OPTIONS: readonly PsaBillable[] = ['billable', 'do-not-bill', 'no-charge'];

export interface CheckedTimeEntry {
	ticketId: number;
	memberId: number;
	/** Whole seconds, UTC: both PSAs keep no milliseconds. */
	start: Date;
	end: Date;
	/** end - start in hours, two decimals (the PSAs' precision). */
	hours: number;
}

/** A time entry the PSA can take: ids, an end after the start within the PSA's longest entry, a known billable option, the notes it requires. */
export function checkTimeEntry(input: PsaTimeEntryCreate, capabilities: PsaWorkCapabilities, idField: (what: string) => string): CheckedTimeEntry {
	return refusedIfThrown(() => timeEntryChecked(input, capabilities, idField));
}

/** Checks that fail send nothing: marked so, a caller holding a receipt gives it back. */
function refusedIfThrown<T>(check: () => T): T {
	try {
		return check();
	} catch (error) {
		if (error instanceof PsaError) error.details.refused = true;
		throw error;
	}
}

function timeEntryChecked(input: PsaTimeEntryCreate, capabilities: PsaWorkCapabilities, idField: (what: string) => string): CheckedTimeEntry {
	const ticketId = recordId(input?.ticketId, 'ticket', idField('ticket'));
	const memberId = recordId(input.memberId, 'member', idField('member'));
	const start = wholeSeconds(input.start, 'start');
	const end = wholeSeconds(input.end, 'end');
	const hours = Math.round(((end.getTime() - start.getTime()) / 3_600_000) * 100) / 100;
	if (!(end.getTime() > start.getTime()) || hours <= 0) {
		throw new PsaError('invalid-input', `A time entry's end (${end.toISOString()}) must be after its start (${start.toISOString()}), by a minute or more`, { field: 'end' });
	}
	if (hours > capabilities.maxHours) {
		throw new PsaError('invalid-input', `A time entry holds at most ${capabilities.maxHours} hours; this one has ${hours}`, { field: 'end', hint: 'Split the work into entries of a day or less.' });
	}
	if (input.billable !== undefined && !BILLABLE_OPTIONS.includes(input.billable)) {
		throw new PsaError('invalid-input', `'${String(input.billable)}' is not a billable option (${BILLABLE_OPTIONS.join(', ')})`, { field: 'billable' });
	}
	if (input.billable !== undefined && !capabilities.billableOptions.includes(input.billable)) {
		throw new PsaError('invalid-input', `This PSA cannot record a time entry as '${input.billable}'`, { field: 'billable', hint: `Choose one of: ${capabilities.billableOptions.join(', ')}.` });
	}
	for (const [kind, id] of [['workRole', input.workRoleId], ['workType', input.workTypeId]] as const) {
		if (id !== undefined && id !== null && !capabilities.choices.includes(kind)) {
			throw new PsaError('invalid-input', `This PSA has no ${kind === 'workRole' ? 'role' : 'work type'} on a time entry`, { field: kind, hint: `Leave the ${kind === 'workRole' ? 'Work Role' : 'Work Type'} empty.` });
		}
	}
	if (capabilities.notesRequired && !String(input.notes ?? '').trim()) {
		throw new PsaError('invalid-input', 'This PSA needs notes on a ticket time entry', { field: 'notes', hint: 'Give Notes: what was done.' });
	}
	for (const kind of capabilities.requiredChoices) {
		const id = kind === 'workRole' ? input.workRoleId : input.workTypeId;
		if (id === undefined || id === null) {
			throw new PsaError('invalid-input', `This PSA needs a ${kind === 'workRole' ? 'role' : 'work type'} on a time entry`, { field: kind, hint: `Choose the ${kind === 'workRole' ? 'Role' : 'Work Type'}.` });
		}
	}
	return { ticketId, memberId, start, end, hours };
}

/** An upload the PSA can take: size within the declared limit (checked before any byte is read), a title and a file name. */
export function checkUpload(input: PsaAttachmentCreate, capabilities: PsaWorkCapabilities, psa: string): { ticketId: number; title: string; fileName: string } {
	return refusedIfThrown(() => uploadChecked(input, capabilities, psa));
}

function uploadChecked(input: PsaAttachmentCreate, capabilities: PsaWorkCapabilities, psa: string): { ticketId: number; title: string; fileName: string } {
	const ticketId = recordId(input?.ticketId, 'ticket', 'ticket');
	const size = input.content?.size;
	if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new PsaError('invalid-input', 'An attachment needs its size in bytes', { field: 'content' });
	if (size === 0) throw new PsaError('invalid-input', 'The file is empty: nothing to attach', { field: 'content', refused: true });
	if (size > capabilities.maxAttachmentBytes) {
		throw new PsaError('invalid-input', `The file is ${megabytes(size)}; ${psa} takes attachments of at most ${megabytes(capabilities.maxAttachmentBytes)} through its API`, {
			field: 'content',
			refused: true,
			hint: 'Nothing was sent. Compress or split the file, or attach a link to it instead.',
		});
	}
	const fileName = String(input.fileName ?? '').trim();
	if (!fileName || /[\u0000-\u001f\u007f/\\]/.test(fileName)) {
		throw new PsaError('invalid-input', `'${fileName}' is not a file name an attachment can have`, { field: 'fileName', hint: 'Give a name without slashes or control characters, e.g. remediation.log.' });
	}
	const title = String(input.title ?? '').trim() || fileName;
	if (title.length > capabilities.maxAttachmentTitle) {
		throw new PsaError('invalid-input', `An attachment title holds at most ${capabilities.maxAttachmentTitle} characters; this one has ${title.length}`, { field: 'title' });
	}
	return { ticketId, title, fileName };
}

function wholeSeconds(value: unknown, what: string): Date {
	const time = typeof value === 'string' ? Date.parse(value) : Number.NaN;
	if (Number.isNaN(time)) throw new PsaError('invalid-input', `A time entry's ${what} must be an ISO 8601 date and time, got ${JSON.stringify(value)}`, { field: what });
	return new Date(Math.floor(time / 1000) * 1000);
}

/** "6.0 MB": decimal megabytes, as the PSAs state their limits. */
export function megabytes(bytes: number): string {
	return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

/** An ISO time without milliseconds ("2026-01-01T10:00:00Z"), as both PSAs write theirs. */
export function isoSeconds(time: Date): string {
	return time.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
