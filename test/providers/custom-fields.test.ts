// The PSA-neutral custom field checks: a definition by name, and each type's accepted values, normalised or refused naming the field and what it accepts.
import { customFieldNamed, customFieldValue } from '../../lib/providers/custom-fields';
import type { PsaCustomFieldDefinition } from '../../lib/providers/types';
import { rejection } from '../helpers/rejection';

const field = (type: PsaCustomFieldDefinition['type'], extra: Partial<PsaCustomFieldDefinition> = {}): PsaCustomFieldDefinition => ({ name: 'Field', type, required: false, ...extra });
const refused = (definition: PsaCustomFieldDefinition, value: unknown) => rejection(Promise.resolve().then(() => customFieldValue(definition, value)));

describe('customFieldNamed', () => {
	const definitions = [field('text', { name: 'Alert Source' }), field('text', { name: 'Retired', inactive: true }), field('number', { name: 'Score' })];

	test('finds a definition whatever the case; an unknown or inactive name is refused listing the active names', async () => {
		expect(customFieldNamed(definitions, 'alert source', 'ConnectWise').name).toBe('Alert Source');
		for (const name of ['Colour', 'Retired']) {
			const error = await rejection(Promise.resolve().then(() => customFieldNamed(definitions, name, 'ConnectWise')));
			expect(error).toMatchObject({ kind: 'invalid-input', details: { field: `customFields.${name}` } });
			expect(error.message).toBe(`ConnectWise has no ticket custom field named '${name}'; its ticket custom fields are: 'Alert Source', 'Score'`);
		}
	});
});

describe('customFieldValue', () => {
	test('empty values clear the field', () => {
		for (const empty of [null, undefined, '']) expect(customFieldValue(field('number'), empty)).toBeNull();
	});

	test('text: strings, and numbers as text; at most maxLength', async () => {
		expect(customFieldValue(field('text'), 'x')).toBe('x');
		expect(customFieldValue(field('text'), 42)).toBe('42');
		expect((await refused(field('text'), { nested: true })).message).toBe("The custom field 'Field' accepts text; got {\"nested\":true}");
		expect((await refused(field('text', { maxLength: 3 }), 'four')).message).toMatch(/at most 3 characters/);
	});

	test('number, boolean, date and date-time', async () => {
		expect(customFieldValue(field('number'), '4.5')).toBe(4.5);
		expect((await refused(field('number'), 'NaN')).message).toMatch(/accepts a number/);
		expect((await refused(field('number'), Infinity)).message).toMatch(/accepts a number/);
		expect(customFieldValue(field('boolean'), 'false')).toBe(false);
		// Expressions and models give booleans as words and digits.
		expect(customFieldValue(field('boolean'), 1)).toBe(true);
		expect(customFieldValue(field('boolean'), 'No')).toBe(false);
		expect((await refused(field('boolean'), 'maybe')).message).toMatch(/true or false/);
		expect(customFieldValue(field('date'), '2024-02-29')).toBe('2024-02-29');
		expect(customFieldValue(field('date'), '2024-02-29T10:00:00Z')).toBe('2024-02-29');
		expect((await refused(field('date'), '2023-02-29')).message).toMatch(/a date \(YYYY-MM-DD\)/);
		expect(customFieldValue(field('datetime'), '2024-02-29T10:00:00+02:00')).toBe('2024-02-29T08:00:00.000Z');
		expect((await refused(field('datetime'), '2024-02-29')).message).toMatch(/ISO 8601 date and time/);
	});

	test('picklist: one of its values, matched without regard to case and returned as the PSA spells it', async () => {
		const region = field('picklist', { name: 'Region', picklist: ['EMEA', 'APAC'].map((value) => ({ value, label: value })) });
		expect(customFieldValue(region, ' emea ')).toBe('EMEA');
		const error = await refused(region, 'Mars');
		expect(error).toMatchObject({ kind: 'invalid-input', details: { field: 'customFields.Region' } });
		expect(error.message).toBe("The custom field 'Region' accepts one of: 'EMEA', 'APAC'; got 'Mars'");
		const many = field('picklist', { picklist: Array.from({ length: 25 }, (_, index) => ({ value: `v${index}`, label: `v${index}` })) });
		expect((await refused(many, 'x')).message).toMatch(/'v19' and 5 more; got 'x'$/);
	});
});
