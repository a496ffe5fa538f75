// A node's codex (nodes-panel aliases, categories, docs link) as shipped: the source .node.json completed with every registered PSA's name.
import { providerDefinitions } from '../../lib/providers/registry';

/** The fields of a .node.json that n8n's loader reads (DirectoryLoader.getCodex), plus its identifying header. */
export interface NodeCodex {
	node: string;
	nodeVersion: string;
	codexVersion: string;
	categories?: string[];
	subcategories?: Record<string, string[]>;
	resources: { primaryDocumentation?: Array<{ url: string }>; credentialDocumentation?: Array<{ url: string }> };
	alias?: string[];
}

/**
 * The source names no PSA: the nodes panel finds a node by any PSA the registry offers (the names a user types), so a
 * provider added to the registry is searchable in every node without editing each file.
 */
export function shippedCodex(source: NodeCodex, psaNames: readonly string[] = providerDefinitions().map((definition) => definition.displayName)): NodeCodex {
	const alias = [...new Set([...psaNames, ...(source.alias ?? [])])];
	return { ...source, alias };
}
