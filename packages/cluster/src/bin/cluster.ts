#!/usr/bin/env node
// npm run cluster -- up|down|status: a real single-node Kubernetes cluster on this machine, offline.
// (supervise and reap are the detached processes `up` starts.)
import { processAlive } from '@neurascale/toolchain';
import { AlreadyRunning, down, readState, reap, supervise, up } from '../lifecycle.ts';
import { paths } from '../paths.ts';

const log = (line: string) => console.log(line);
const [command, arg] = process.argv.slice(2);

async function main(): Promise<number> {
  switch (command) {
    case 'up': {
      try {
        const state = await up(log);
        console.log(`cluster: ready; KUBECONFIG=${state.kubeconfig}`);
        console.log(`cluster: timings (s since start): ${JSON.stringify(state.timings)}`);
        return 0;
      } catch (error) {
        console.error((error as Error).message);
        return error instanceof AlreadyRunning ? 3 : 1;
      }
    }
    case 'down':
      console.log((await down(log)) ? 'cluster: down, host restored' : 'cluster: none running');
      return 0;
    case 'status': {
      const state = readState();
      if (!state) {
        console.log('cluster: none');
        return 1;
      }
      const alive = processAlive(state.supervisorPid);
      console.log(`cluster: ${alive ? state.phase : `${state.phase} (supervisor gone; "down" cleans up)`}`);
      if (state.kubeconfig) console.log(`KUBECONFIG=${state.kubeconfig}`);
      if (state.pids) console.log(`pids: ${JSON.stringify(state.pids)}`);
      console.log(`logs: ${paths.logs}`);
      return alive && state.phase === 'ready' ? 0 : 1;
    }
    case 'supervise':
      await supervise((line) => console.log(`${new Date().toISOString()} ${line}`));
      return 0;
    case 'reap':
      await reap(Number(arg), (line) => console.log(line));
      return 0;
    default:
      console.error('usage: cluster up|down|status');
      return 2;
  }
}

main().then(
  (code) => {
    if (command !== 'supervise') process.exit(code);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : String(error));
    process.exit(1);
  },
);
