// Local Nx plugin: every folder overlays/<env>/ that holds an env.json is an Nx project named <env> with
// the targets an environment has, so adding an environment is adding one folder with its config.
// Loaded by Nx from nx.json `plugins`; Node 24 strips the types, so it needs no build step.
import { basename, dirname } from 'node:path';
import type { CreateNodes, TargetConfiguration } from 'nx/src/devkit-exports';

/** Inputs of a target that runs the validator on what its dependencies generated. */
const validateInputs = ['^production', { dependentTasksOutputFiles: '**/*', transitive: true }];

export function environmentTargets(env: string): Record<string, TargetConfiguration> {
  const generated = `generated/overlays/${env}`;
  return {
    generate: {
      executor: 'nx:run-commands',
      cache: true,
      dependsOn: ['core:generate'],
      inputs: ['{projectRoot}/env.json', '^production'],
      outputs: [`{workspaceRoot}/${generated}`],
      options: { command: `generate-manifests --only ${env}` },
    },
    validate: {
      executor: 'nx:run-commands',
      cache: true,
      dependsOn: ['generate', 'toolchain:install', 'toolchain:schemas'],
      inputs: validateInputs,
      options: {
        command:
          `validate-manifests ${generated} --provided ${generated}/cluster-provides.yaml ` +
          `--rule-tests ${generated}/monitoring/rule-tests --cost ${generated}/cost-model.yaml ` +
          '--overrides policies/overrides.json',
      },
    },
    // The cost view: what the overlay requests, priced, beside the budget (nx run-many -t cost).
    cost: {
      executor: 'nx:run-commands',
      cache: true,
      dependsOn: ['generate', 'toolchain:install'],
      inputs: validateInputs,
      options: { command: `cost-report ${generated}` },
    },
    'validate-server': {
      executor: 'nx:run-commands',
      cache: true,
      dependsOn: ['generate', 'toolchain:install', 'toolchain:schemas', 'toolchain:controlplane'],
      inputs: validateInputs,
      options: { command: `validate-server ${generated}` },
      // One control plane at a time: two would compete for the machine's two cores.
      parallelism: false,
    },
  };
}

export const createNodes: CreateNodes = [
  'overlays/*/env.json',
  (files) =>
    files.map((file) => {
      const root = dirname(file);
      const env = basename(root);
      return [
        file,
        {
          projects: {
            [root]: {
              name: env,
              projectType: 'application',
              tags: ['environment'],
              implicitDependencies: ['core', 'validation'],
              targets: environmentTargets(env),
            },
          },
        },
      ] as const;
    }),
];
