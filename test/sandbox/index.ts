// The ConnectWise sandbox's public interface: start it, point a client at it, inject faults, read what happened.
export {
	API_PREFIX,
	RESTRICTED_CREDENTIALS,
	SANDBOX_CODEBASE,
	SANDBOX_CREDENTIALS,
	Sandbox,
	startSandbox,
	type Fault,
	type RequestLogEntry,
	type SandboxClock,
	type SandboxCredentials,
	type SandboxKeyPair,
	type SandboxOptions,
	type VersionPolicy,
} from './server';
export { signCallbackBody, type CallbackPayload, type Delivery } from './callbacks';
export type { CwBoard, CwCallback, CwCompany, CwContact, CwMember, CwNote, CwPriority, CwStatus, CwTicket, SandboxDb } from './data';
export { MODEL_VERSIONS, type ModelVersion } from './models';
export { DEPTH_SEED, TICKET_SCREEN, type CwConfiguration, type CwCustomFieldValue, type CwUserDefinedField } from './depth-data';
export { parseConditions, evaluateConditions, ConditionSyntaxError } from './conditions';
