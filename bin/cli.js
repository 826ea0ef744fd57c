#!/usr/bin/env node
// The package's `bin`: Node cannot run TypeScript by itself, so tsx's loaders are
// registered first (ESM for the CLI and ESM modules, CommonJS for hooks or handler files
// in folders without "type": "module"), then the CLI is imported.
import { register as registerCjs } from 'tsx/cjs/api';
import { register as registerEsm } from 'tsx/esm/api';

registerCjs();
registerEsm();
await import('./cli.ts');
