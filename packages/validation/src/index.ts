// @neurascale/validation: documents in, findings out (schemas, Pod Security, Rego, cross-resource rules),
// the server-side tier, and the reports.
export * from './catalogue.ts';
export * from './engine.ts';
export * from './findings.ts';
export * from './inputs.ts';
export * from './kustomize.ts';
export { type Format, formats, report } from './reporters.ts';
export { crdsFor, waitUntilServed } from './server.ts';
export { validateOnServer } from './server-cli.ts';
export * from './validate.ts';
