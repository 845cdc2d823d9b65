#!/usr/bin/env node
// controlplane: a throw-away Kubernetes control plane (etcd + kube-apiserver, plus kubectl) for
// server-side dry-run validation; docs/controlplane.md explains it.
//
//   controlplane gomod [--check]   regenerate packages/toolchain/controlplane/go.mod and go.sum
//   controlplane build             build the binary (nothing to do when the stamp matches)
//   controlplane up                start a control plane and keep it up until Ctrl-C
//   controlplane run -- CMD ARGS   start one, run CMD with KUBECONFIG set, stop it
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildControlPlane } from '../controlplane/build.ts';
import { checkGoMod, generateGoMod, stagingVersion } from '../controlplane/gomod.ts';
import { startControlPlane } from '../controlplane/lifecycle.ts';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const log = (line: string) => console.error(line);
  switch (command) {
    case 'gomod': {
      if (rest[0] === '--check') {
        const { ok, diff } = checkGoMod();
        if (!ok) {
          console.error(
            `packages/toolchain/controlplane: ${diff.join(' and ')} ${diff.length > 1 ? 'differ' : 'differs'} from what the pins produce: ` +
              'run "npx controlplane gomod" and commit the result',
          );
          return 1;
        }
        console.log('packages/toolchain/controlplane: go.mod and go.sum are what the pins produce');
        return 0;
      }
      const pins = generateGoMod();
      console.log(
        `packages/toolchain/controlplane/go.mod: kubernetes ${pins.kubernetes}, etcd ${pins.etcd}, go ${pins.go}, ` +
          `${pins.staging.length} staging modules at ${stagingVersion(pins.kubernetes)}`,
      );
      return 0;
    }
    case 'build': {
      const goCacheIndex = rest.indexOf('--gocache');
      buildControlPlane({
        force: rest.includes('--force'),
        ...(goCacheIndex >= 0 && rest[goCacheIndex + 1] ? { goCache: rest[goCacheIndex + 1] } : {}),
        log,
      });
      return 0;
    }
    case 'up': {
      const plane = await startControlPlane({ log });
      console.log(`server:     ${plane.server}`);
      console.log(`kubeconfig: ${plane.kubeconfig}`);
      console.log(`kubectl:    ${join(plane.binDir, 'kubectl')}`);
      const exports = Object.entries(plane.env).map(([k, v]) => `${k}=${v}`);
      console.log(`export ${exports.join(' ')} PATH=${plane.binDir}:$PATH`);
      console.log('Ctrl-C stops it and removes everything.');
      // Until SIGINT or SIGTERM, whose handler stops the control plane and exits.
      setInterval(() => {}, 2 ** 30);
      await new Promise(() => {});
      return 0;
    }
    case 'run': {
      const args = rest[0] === '--' ? rest.slice(1) : rest;
      const [cmd, ...cmdArgs] = args;
      if (!cmd) {
        console.error('usage: npx controlplane run -- COMMAND [ARGS...]');
        return 2;
      }
      const plane = await startControlPlane({ log });
      try {
        const child = spawn(cmd, cmdArgs, {
          stdio: 'inherit',
          env: {
            ...process.env,
            ...plane.env,
            CONTROLPLANE_SERVER: plane.server,
            PATH: `${plane.binDir}:${process.env.PATH ?? ''}`,
          },
        });
        return await new Promise<number>((resolve) => {
          child.on('error', (error) => {
            console.error(`controlplane run: ${cmd}: ${error.message}`);
            resolve(127);
          });
          child.on('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGINT' ? 2 : 15)));
        });
      } finally {
        await plane.stop();
      }
    }
    default:
      console.error(
        'usage: npx controlplane gomod [--check] | build [--force] [--gocache DIR] | up | run -- CMD...',
      );
      return 2;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`controlplane: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
