// Loaded first by every benchmark entry: under tsx, `require('./X.node')` would pick the node's X.node.json codex before X.node.ts.
import Module from 'node:module';

const extensions = (Module as unknown as { _extensions: Record<string, unknown> })._extensions;
for (const late of ['.json', '.node']) {
	const loader = extensions[late];
	if (loader === undefined) continue;
	// Re-adding a key moves it to the end of the lookup order, after tsx's .ts.
	delete extensions[late];
	extensions[late] = loader;
}
