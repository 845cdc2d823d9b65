import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { indentQuotedContinuations, matchFileNames, parseFileEntry } from '../src/build-schemas.ts';

describe('files entries of CRD pins', () => {
  it('match "*" against any run of characters and everything else literally, sorted by code unit', () => {
    const names = [
      'b-crd.yaml',
      'kustomization.yaml',
      'a-crd.yaml',
      'B-crd.yaml',
      'a-crdXyaml',
      'crd.yaml.orig',
    ];
    expect(matchFileNames('*-crd.yaml', names)).toEqual(['B-crd.yaml', 'a-crd.yaml', 'b-crd.yaml']);
    expect(matchFileNames('*.yaml', names)).toEqual([
      'B-crd.yaml',
      'a-crd.yaml',
      'b-crd.yaml',
      'kustomization.yaml',
    ]);
    expect(matchFileNames('crd.yaml', names)).toEqual([]);
    expect(matchFileNames('*', ['z', 'a'])).toEqual(['a', 'z']);
  });

  it('are relative paths inside the module with "*" only in the file name', () => {
    expect(parseFileEntry('deploy/crds/*.yaml', 'pin')).toEqual({ dir: 'deploy/crds', name: '*.yaml' });
    expect(parseFileEntry('crd.yaml', 'pin')).toEqual({ dir: '', name: 'crd.yaml' });
    for (const bad of ['', '/etc/passwd', '../x.yaml', 'a/./b.yaml', 'a//b.yaml', 'a/', 3]) {
      expect(() => parseFileEntry(bad, 'pin')).toThrow(/pin: files entry .* must be a relative path/);
    }
    expect(() => parseFileEntry('config/*/bases/x.yaml', 'pin')).toThrow(/"\*" only in its file name/);
  });
});

describe('indentQuotedContinuations', () => {
  // Flagger's CRDs: continuation lines of a quoted scalar at the key's own indentation, which go-yaml reads.
  const underIndented = [
    'properties:',
    '  apiVersion:',
    "    description: 'APIVersion defines the versioned schema of this",
    '    representation of an object. More info: https://example.com/#resources',
    "    and it''s done'",
    '    type: string',
    '  kind:',
    '    description: "Kind is a \\"string\\"',
    '    value: here"',
    '    type: string',
    '  - name: "x',
    '    y"',
    '',
  ].join('\n');

  it('indents the continuation lines of quoted scalars so that YAML 1.2 reads them as go-yaml does', () => {
    expect(parseAllDocuments(underIndented)[0]?.errors).not.toEqual([]);
    const repaired = indentQuotedContinuations(underIndented.replace('  - name: "x\n    y"\n', ''));
    expect(parse(repaired)).toEqual({
      properties: {
        apiVersion: {
          description:
            'APIVersion defines the versioned schema of this representation of an object. ' +
            "More info: https://example.com/#resources and it's done",
          type: 'string',
        },
        kind: { description: 'Kind is a "string" value: here', type: 'string' },
      },
    });
    expect(indentQuotedContinuations('- name: "x\n  y"\n')).toBe('- name: "x\n    y"\n');
  });

  it('leaves block scalars, closed quoted scalars and quotes inside other text alone', () => {
    const text = [
      'a:',
      '  description: |',
      "    Note: 'unbalanced",
      '  other: 1',
      "  plain: it is: 'not quoted",
      '  next: 2',
      "  quoted: 'closes ''here'''",
      '  folded: >-',
      '    key: "open',
      'b: "c"',
      '',
    ].join('\n');
    expect(indentQuotedContinuations(text)).toBe(text);
  });
});
