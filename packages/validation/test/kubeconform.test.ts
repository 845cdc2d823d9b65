import { describe, expect, it } from 'vitest';
import { pointerToField } from '../src/kubeconform.ts';

describe('pointerToField', () => {
  it('turns JSON pointers into dotted paths with indexes', () => {
    expect(pointerToField('/spec/template/spec/containers/0/ports/1')).toBe(
      'spec.template.spec.containers[0].ports[1]',
    );
    expect(pointerToField('/metadata/labels/app.kubernetes.io~1name')).toBe(
      'metadata.labels.app.kubernetes.io/name',
    );
    expect(pointerToField('')).toBe('');
  });
});
