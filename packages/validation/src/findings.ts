// One finding shape for every validator, so reports stay one whatever found the problem.

export type Severity = 'error' | 'warning';

export interface ObjectRef {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}

export interface Finding {
  /** Where the object came from (overlay directory or file). */
  source: string;
  object: ObjectRef;
  /** Field path inside the object, dotted, e.g. spec.template.spec.containers[0].image. */
  field?: string;
  rule: string;
  severity: Severity;
  message: string;
  fix?: string;
}

export function describeObject(ref: ObjectRef): string {
  const kind = ref.kind ?? '<no kind>';
  const name = ref.name ?? '<no name>';
  return ref.namespace ? `${kind} ${ref.namespace}/${name}` : `${kind} ${name}`;
}

export function hasErrors(findings: Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
