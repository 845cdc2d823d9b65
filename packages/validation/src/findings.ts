// One finding shape for every validator, so reports stay one whatever found the problem.

export type Severity = 'error' | 'warning';

export interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}

/** What an engine reports: which rule, on which object and field, and what exactly is wrong. */
export interface Violation {
  /** Where the object came from (overlay directory or file, with the line when known). */
  source: string;
  object: ObjectRef;
  /** Field path inside the object, dotted, e.g. spec.template.spec.containers[0].image. */
  field?: string;
  rule: string;
  message: string;
  /** The check of a rule that runs several (a Pod Security control); picks a catalogued fix. */
  check?: string;
}

/** A violation with what the rule catalogue says of its rule (see catalogue.ts `catalogued`). */
export interface Finding extends Omit<Violation, 'check'> {
  severity: Severity;
  fix: string;
  /** Set when an overrides file changed the rule's catalogued severity for this input. */
  overridden?: { from: Severity; by: string };
}

export function describeObject(ref: ObjectRef): string {
  const kind = ref.kind ?? '<no kind>';
  const name = ref.name ?? '<no name>';
  return ref.namespace ? `${kind} ${ref.namespace}/${name}` : `${kind} ${name}`;
}

export function hasErrors(findings: Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
