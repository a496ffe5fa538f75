// The Autotask sandbox's public interface: start it, point a client at it, inject faults and limits, read what happened.
export { AutotaskSandbox, startAutotaskSandbox } from './server';
export type { AutotaskClock, AutotaskRequestLogEntry, AutotaskSandboxOptions } from './options';
export type { Fault, FaultMethod } from './limits';
export {
	ACME_HQ_LOCATION_ID,
	ACME_RETIRED_CI_ID,
	ACME_SERVER_CI_ID,
	ACME_WAREHOUSE_LOCATION_ID,
	ACME_WORKSTATION_CI_ID,
	GLOBEX_LOCATION_ID,
	GLOBEX_SERVER_CI_ID,
	ACTIVE_TECHNICIAN_ID,
	API_USER_ID,
	INACTIVE_TECHNICIAN_ID,
	RESTRICTED_API_USER_ID,
	SECOND_TECHNICIAN_ID,
	type AutotaskCompany,
	type AutotaskCompanyLocation,
	type AutotaskConfigurationItem,
	type AutotaskContact,
	type AutotaskCredentials,
	type AutotaskDb,
	type AutotaskExcludedResource,
	type AutotaskNote,
	type AutotaskResource,
	type AutotaskStatusChange,
	type AutotaskTicket,
	type AutotaskWebhook,
	type AutotaskWebhookField,
} from './data';
export { TICKET_WEBHOOK_FIELDS, type FieldInfo, type PicklistValue, type UdfInfo } from './metadata';
export { escapeJsonString, serializeWebhookBody, signWebhookBody, type AutotaskDelivery, type AutotaskWebhookPayload } from './webhooks';
