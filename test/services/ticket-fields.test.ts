// Ticket detail checks that need no PSA: choices by id or name, custom field values against their definitions, dates.
import { isPsaError } from '../../lib/providers/errors';
import type { PsaCustomFieldDefinition } from '../../lib/providers/types';
import { checkCustomFields, isoDate, pick } from '../../lib/services/ticket-fields';
import { normaliseMatch } from '../../lib/services/ticket';

const refusal = (run: () => unknown): { message: string; hint?: string } => {
	try {
		run();
	} catch (error) {
		if (!isPsaError(error, 'invalid-input')) throw error;
		return { message: error.message, hint: error.details.hint };
	}
	throw new Error('expected a refusal');
};

describe('pick: a choice by id or by name', () => {
	const choices = [
		{ id: 1, name: 'Network' },
		{ id: 2, name: 'Server' },
		{ id: 3, name: 'server' },
		{ id: 4, name: 'Retired', inactive: true },
	];
	it('takes an id as a number or as text, and a unique name without regard to case', () => {
		expect(pick(choices, 1, 'Type').id).toBe(1);
		expect(pick(choices, ' 2 ', 'Type').id).toBe(2);
		expect(pick(choices, 'NETWORK', 'Type').id).toBe(1);
	});
	it('refuses an ambiguous name, listing the candidates with their ids', () => {
		const { message, hint } = refusal(() => pick(choices, 'Server', 'Type'));
		expect(message).toContain('names 2 records');
		expect(hint).toContain('Server (2)');
		expect(hint).toContain('server (3)');
	});
	it('refuses an unknown or inactive choice, listing the active ones', () => {
		expect(refusal(() => pick(choices, 'Printers', 'Type')).hint).toContain('Network (1)');
		expect(refusal(() => pick(choices, 4, 'Type')).message).toContain('not active');
		expect(refusal(() => pick(choices, 'Retired', 'Type')).hint).not.toContain('Retired');
	});
	it('refuses what an expression gives that is neither an id nor a name', () => {
		for (const value of [undefined, null, '', {}, [], true]) expect(refusal(() => pick(choices, value, 'Type')).message).toContain('expected an id or a name');
	});
});

describe('custom field values, checked against their definitions before any write', () => {
	const definitions: PsaCustomFieldDefinition[] = [
		{ id: 1, name: 'Alert Count', type: 'number', required: false, decimals: 0 },
		{ id: 2, name: 'Escalated', type: 'boolean', required: false },
		{ id: 3, name: 'Device Role', type: 'picklist', required: false, picklist: [{ value: '10', label: 'Server' }, { value: '11', label: 'Workstation' }] },
		{ id: 4, name: 'Runbook', type: 'text', required: false, maxLength: 10 },
		{ id: 5, name: 'Seen At', type: 'datetime', required: false },
		{ id: 6, name: 'Contract', type: 'text', required: true },
	];
	it('converts what expressions give: numbers as text, booleans as words, picklist labels, dates', () => {
		expect(checkCustomFields(definitions, { 'alert count': '7', Escalated: 'yes', 'Device Role': 'server', 'Seen At': 0 })).toEqual({
			'Alert Count': 7,
			Escalated: true,
			'Device Role': '10',
			'Seen At': '1970-01-01T00:00:00.000Z',
		});
		expect(checkCustomFields(definitions, { 'Device Role': '11', Runbook: '' })).toEqual({ 'Device Role': '11', Runbook: null });
	});
	it('refuses a value outside the type or the picklist, naming what it accepts', () => {
		expect(refusal(() => checkCustomFields(definitions, { 'Alert Count': 'many' })).message).toContain('accepts a number');
		expect(refusal(() => checkCustomFields(definitions, { 'Alert Count': 2.5 })).message).toContain('at most 0 decimal');
		expect(refusal(() => checkCustomFields(definitions, { Escalated: 'maybe' })).message).toContain('true or false');
		expect(refusal(() => checkCustomFields(definitions, { 'Device Role': 'Printer' })).message).toContain("one of: '10 (Server)', '11 (Workstation)'");
		expect(refusal(() => checkCustomFields(definitions, { Runbook: 'x'.repeat(11) })).message).toContain('at most 10 characters');
		expect(refusal(() => checkCustomFields(definitions, { Runbook: { url: 'x' } })).message).toContain('accepts text');
		expect(refusal(() => checkCustomFields(definitions, { 'Seen At': 'yesterday' })).message).toContain('ISO 8601');
		expect(refusal(() => checkCustomFields(definitions, { Contract: null })).message).toContain('required');
	});
	it('refuses an unknown field, listing the defined ones', () => {
		const { message } = refusal(() => checkCustomFields(definitions, { Colour: 'red' }));
		expect(message).toContain("no ticket custom field named 'Colour'");
		expect(message).toContain("'Alert Count'");
	});
});

describe('dates and device values', () => {
	it('isoDate takes ISO text, epoch milliseconds and Dates', () => {
		expect(isoDate('2026-12-31T17:00:00+01:00', 'Due')).toBe('2026-12-31T16:00:00.000Z');
		expect(isoDate(Date.UTC(2026, 0, 2), 'Due')).toBe('2026-01-02T00:00:00.000Z');
		expect(isoDate(new Date(Date.UTC(2026, 0, 2)), 'Due')).toBe('2026-01-02T00:00:00.000Z');
		for (const value of ['', 'soon', {}, null]) expect(refusal(() => isoDate(value, 'Due')).message).toContain('not a date');
	});
	it('MAC addresses compare by their hex digits, whatever the notation', () => {
		expect(normaliseMatch('macAddress', '00:1A:2B:3C:4D:5E')).toBe(normaliseMatch('macAddress', '00-1a-2b-3c-4d-5e'));
		expect(normaliseMatch('macAddress', '001A.2B3C.4D5E')).toBe('001a2b3c4d5e');
		expect(normaliseMatch('name', ' SRV-DC01 ')).toBe('srv-dc01');
	});
});
