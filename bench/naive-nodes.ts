// Stand-ins for n8n-nodes-base's HTTP Request (v4) and If (v2) when n8n-nodes-base is not on this machine; they make calls as the real ones do.
import {
	NodeApiError,
	NodeConnectionTypes,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
	type JsonObject,
} from 'n8n-workflow';

function keyValues(displayName: string, name: string): INodeProperties {
	return {
		displayName,
		name,
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		options: [
			{
				displayName: 'Parameter',
				name: 'parameters',
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{ displayName: 'Value', name: 'value', type: 'string', default: '' },
				],
			},
		],
	};
}

interface KeyValue {
	name: string;
	value: string;
}

/**
 * HTTP Request v4 for the parameters the naive workflow uses. Like the real node (V3 code, typeVersion 4.x): every
 * item's request is started in the item loop without waiting, then all are awaited together (Promise.allSettled);
 * generic Basic auth is added by the node itself; an array response becomes one item per element unless
 * "Include Response Headers and Status" is on; the first failed item fails the node.
 */
export class EmulatedHttpRequest implements INodeType {
	description = {
		displayName: 'HTTP Request',
		name: 'httpRequest',
		group: ['output'],
		version: [4, 4.1, 4.2],
		defaultVersion: 4.2,
		description: 'Makes an HTTP request and returns the response data',
		defaults: { name: 'HTTP Request' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'httpBasicAuth', required: false }],
		properties: [
			{ displayName: 'Method', name: 'method', type: 'options', options: ['GET', 'POST', 'PATCH'].map((value) => ({ name: value, value })), default: 'GET' },
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{ displayName: 'Authentication', name: 'authentication', type: 'string', default: 'none' },
			{ displayName: 'Generic Auth Type', name: 'genericAuthType', type: 'string', default: '' },
			{ displayName: 'Send Query Parameters', name: 'sendQuery', type: 'boolean', default: false },
			keyValues('Query Parameters', 'queryParameters'),
			{ displayName: 'Send Headers', name: 'sendHeaders', type: 'boolean', default: false },
			keyValues('Header Parameters', 'headerParameters'),
			{ displayName: 'Send Body', name: 'sendBody', type: 'boolean', default: false },
			{ displayName: 'Specify Body', name: 'specifyBody', type: 'string', default: 'json' },
			{ displayName: 'JSON', name: 'jsonBody', type: 'json', default: '' },
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				default: {},
				options: [
					{
						displayName: 'Response',
						name: 'response',
						type: 'fixedCollection',
						default: {},
						options: [
							{
								displayName: 'Response',
								name: 'response',
								values: [{ displayName: 'Include Response Headers and Status', name: 'fullResponse', type: 'boolean', default: false }],
							},
						],
					},
				],
			},
		],
	} as unknown as INodeTypeDescription;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const requests: Array<Promise<unknown>> = [];
		const fullResponses: boolean[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const credentials = await this.getCredentials('httpBasicAuth', itemIndex);
			const query: IDataObject = {};
			if (this.getNodeParameter('sendQuery', itemIndex, false)) {
				for (const { name, value } of this.getNodeParameter('queryParameters.parameters', itemIndex, []) as KeyValue[]) query[name] = value;
			}
			const headers: IDataObject = {};
			if (this.getNodeParameter('sendHeaders', itemIndex, false)) {
				for (const { name, value } of this.getNodeParameter('headerParameters.parameters', itemIndex, []) as KeyValue[]) headers[name] = value;
			}
			let body: unknown;
			if (this.getNodeParameter('sendBody', itemIndex, false)) {
				const jsonBody = this.getNodeParameter('jsonBody', itemIndex, '');
				body = typeof jsonBody === 'string' ? JSON.parse(jsonBody) : jsonBody;
			}
			fullResponses[itemIndex] = this.getNodeParameter('options.response.response.fullResponse', itemIndex, false) as boolean;
			const options: IHttpRequestOptions = {
				method: this.getNodeParameter('method', itemIndex, 'GET') as IHttpRequestMethods,
				url: String(this.getNodeParameter('url', itemIndex)),
				qs: query,
				headers,
				body: body as IDataObject,
				json: true,
				auth: { username: String(credentials.user ?? ''), password: String(credentials.password ?? '') },
				returnFullResponse: true,
			};
			const request = this.helpers.httpRequest(options);
			request.catch(() => undefined);
			requests.push(request);
		}
		const settled = await Promise.allSettled(requests);
		const output: INodeExecutionData[] = [];
		settled.forEach((result, itemIndex) => {
			if (result.status === 'rejected') {
				throw new NodeApiError(this.getNode(), result.reason as JsonObject, { itemIndex });
			}
			const response = result.value as { body: unknown; headers: IDataObject; statusCode: number; statusMessage?: string };
			if (fullResponses[itemIndex]) {
				output.push({ json: { body: response.body as IDataObject, headers: response.headers, statusCode: response.statusCode }, pairedItem: { item: itemIndex } });
			} else if (Array.isArray(response.body)) {
				for (const element of response.body) output.push({ json: element as IDataObject, pairedItem: { item: itemIndex } });
			} else {
				output.push({ json: (response.body ?? {}) as IDataObject, pairedItem: { item: itemIndex } });
			}
		});
		return [output];
	}
}

interface Condition {
	leftValue: unknown;
	rightValue: unknown;
	operator: { type: string; operation: string };
}

/** If v2 for "number is greater than / equal to": items go to the true or the false output. */
export class EmulatedIf implements INodeType {
	description = {
		displayName: 'If',
		name: 'if',
		group: ['transform'],
		version: [2, 2.1, 2.2],
		defaultVersion: 2.2,
		description: 'Route items to different branches (true/false)',
		defaults: { name: 'If' },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main],
		outputNames: ['true', 'false'],
		properties: [
			{ displayName: 'Conditions', name: 'conditions', type: 'filter', default: {} },
			{ displayName: 'Options', name: 'options', type: 'collection', default: {}, options: [] },
		],
	} as unknown as INodeTypeDescription;

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const trueItems: INodeExecutionData[] = [];
		const falseItems: INodeExecutionData[] = [];
		this.getInputData().forEach((item, itemIndex) => {
			const conditions = this.getNodeParameter('conditions.conditions', itemIndex, []) as Condition[];
			const pass = conditions.every(({ leftValue, rightValue, operator }) => {
				if (operator.type !== 'number') throw new Error(`The stand-in If supports number conditions only, not ${operator.type}`);
				if (operator.operation === 'gt') return Number(leftValue) > Number(rightValue);
				if (operator.operation === 'equals') return Number(leftValue) === Number(rightValue);
				throw new Error(`The stand-in If does not support "${operator.operation}"`);
			});
			(pass ? trueItems : falseItems).push({ json: item.json, pairedItem: { item: itemIndex } });
		});
		return [trueItems, falseItems];
	}
}
