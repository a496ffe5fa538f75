// The HaloPSA sandbox's public interface: start it, point a credential at it, inject faults, read what happened.
export { HaloSandbox, startHaloSandbox, type HaloCredentials, type HaloRequestLogEntry, type HaloSandboxOptions } from './server';
export { ACTIVE_AGENT_ID, API_AGENT_ID, API_APPLICATION, INACTIVE_AGENT_ID, READONLY_APPLICATION, type HaloDb, type HaloTicket } from './data';
export { deliveryHeaders, type HaloDelivery } from './webhooks';
export type { Fault } from '../autotask/limits';
