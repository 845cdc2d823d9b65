// Every report format, exactly, on one small result: an error with a field and a line, a warning on another
// object without either, a suppressed finding, XML special characters.
import { describe, expect, it } from 'vitest';
import { rules } from '../src/catalogue.ts';
import type { EngineResult } from '../src/engine.ts';
import type { Finding } from '../src/findings.ts';
import { json, junit, report, sarif, summaryLine, text } from '../src/reporters.ts';

const error: Finding = {
  source: 'app.yaml:12',
  object: { apiVersion: 'v1', kind: 'Pod', namespace: 'app', name: 'web' },
  field: 'spec.containers[0].image',
  rule: 'image-tag-latest',
  severity: 'error',
  message: 'uses "latest" & <moves>',
  fix: 'Pin a tag',
};
const warning: Finding = {
  source: 'empty.yaml',
  object: {},
  rule: 'input-empty',
  severity: 'warning',
  message: 'contains no Kubernetes objects',
  fix: 'Remove it',
};
const result: EngineResult = {
  findings: [error, warning],
  suppressed: [{ ...error, rule: 'spread-missing', message: 'no spread (suppressed: one replica)' }],
  objects: 3,
  inputs: ['app.yaml', 'empty.yaml'],
  engines: ['schema v1.37.2', 'rego'],
};

describe('reports', () => {
  it('text: grouped by object, fix under each finding, then the summary line', () => {
    expect(text(result)).toBe(
      [
        'app.yaml:12: Pod app/web',
        '  error   image-tag-latest spec.containers[0].image: uses "latest" & <moves>',
        '          fix: Pin a tag',
        'empty.yaml: <no kind> <no name>',
        '  warning input-empty: contains no Kubernetes objects',
        '          fix: Remove it',
        'app.yaml, empty.yaml: 3 object(s): 1 error(s), 1 warning(s), 1 suppressed [schema v1.37.2; rego]',
        '',
      ].join('\n'),
    );
    expect(summaryLine({ findings: [], suppressed: [], objects: 0 })).toBe(
      '0 object(s): 0 error(s), 0 warning(s), 0 suppressed',
    );
  });

  it('json: summary, findings and suppressed', () => {
    expect(JSON.parse(json(result))).toEqual({
      summary: {
        objects: 3,
        errors: 1,
        warnings: 1,
        suppressed: 1,
        inputs: ['app.yaml', 'empty.yaml'],
        engines: ['schema v1.37.2', 'rego'],
      },
      findings: [error, warning],
      suppressed: result.suppressed,
    });
  });

  it('sarif: every catalogued rule, each result with its level, location, line and properties', () => {
    const log = JSON.parse(sarif(result));
    const catalogue = [...rules().values()];
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].tool.driver.name).toBe('validate-manifests');
    expect(log.runs[0].tool.driver.rules).toHaveLength(catalogue.length);
    const latest = catalogue.findIndex((r) => r.id === 'image-tag-latest');
    // Code scanning shows the help beside the finding in a pull request: the why and the fix, in text
    // and in markdown.
    const why = catalogue[latest]?.why ?? '';
    const fix = catalogue[latest]?.fix ?? '';
    expect(log.runs[0].tool.driver.rules[latest]).toEqual({
      id: 'image-tag-latest',
      name: 'image-tag-latest',
      shortDescription: { text: why },
      fullDescription: { text: why },
      help: {
        text: `${why}\n\nFix: ${fix}`,
        markdown: `**image-tag-latest** (error, rego)\n\n${why}\n\n**Fix:** ${fix}\n\nFixtures: \`policies/fixtures/image-tag-latest/\`; reference: \`docs/policies.md\`.`,
      },
      defaultConfiguration: { level: 'error' },
      properties: { tags: ['rego'] },
    });
    const empty = catalogue.findIndex((r) => r.id === 'input-empty');
    expect(log.runs[0].tool.driver.rules[empty].defaultConfiguration).toEqual({ level: 'warning' });
    expect(log.runs[0].results).toEqual([
      {
        ruleId: 'image-tag-latest',
        ruleIndex: latest,
        level: 'error',
        message: { text: 'Pod app/web spec.containers[0].image: uses "latest" & <moves>' },
        locations: [
          {
            physicalLocation: { artifactLocation: { uri: 'app.yaml' }, region: { startLine: 12 } },
            logicalLocations: [{ fullyQualifiedName: 'Pod app/web', kind: 'object' }],
          },
        ],
        properties: { field: 'spec.containers[0].image', fix: 'Pin a tag' },
      },
      {
        ruleId: 'input-empty',
        ruleIndex: empty,
        level: 'warning',
        message: { text: '<no kind> <no name>: contains no Kubernetes objects' },
        locations: [
          {
            physicalLocation: { artifactLocation: { uri: 'empty.yaml' } },
            logicalLocations: [{ fullyQualifiedName: '<no kind> <no name>', kind: 'object' }],
          },
        ],
        properties: { field: null, fix: 'Remove it' },
      },
    ]);
  });

  it('junit: a test case per object, errors as failures, warnings as output, XML escaped', () => {
    expect(junit(result)).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<testsuites tests="2" failures="1">',
        '  <testsuite name="validate-manifests" tests="2" failures="1">',
        '    <testcase classname="validate-manifests" name="app.yaml:12: Pod app/web">',
        '      <failure type="image-tag-latest" message="spec.containers[0].image: uses &quot;latest&quot; &amp; &lt;moves&gt;">Pin a tag</failure>',
        '    </testcase>',
        '    <testcase classname="validate-manifests" name="empty.yaml: &lt;no kind&gt; &lt;no name&gt;">',
        '      <system-out>input-empty: contains no Kubernetes objects</system-out>',
        '    </testcase>',
        '  </testsuite>',
        '</testsuites>',
        '',
      ].join('\n'),
    );
  });

  it('report picks the format by name', () => {
    expect(report(result, 'text')).toBe(text(result));
    expect(report(result, 'junit')).toBe(junit(result));
    expect(report(result, 'json')).toBe(json(result));
    expect(report(result, 'sarif')).toBe(sarif(result));
  });
});
