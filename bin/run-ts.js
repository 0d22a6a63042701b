#!/usr/bin/env node
// Runs a TypeScript file of the repository (benchmarks, scripts) through tsx's loader.
import { register } from 'tsx/esm/api';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

register();
await import(pathToFileURL(resolve(process.argv[2])).href);
