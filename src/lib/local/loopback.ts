import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The port the last loopback listener of each purpose had in this process (the events bus of a stage, the IAM
 * check's recorder of a function). A listener started after it (the next command in one process: the in-process
 * tests, `serve` after a redeploy) takes the same port when it is free, so the endpoints the functions are given
 * (AWS_ENDPOINT_URL_...) stay the same and their warm environments can be taken over (ParkedEnvironments in
 * lambda.ts); when something else has it, any free port, and the environments start cold.
 */
const LAST_PORTS = new Map<string, number>();

/** Listens on 127.0.0.1 (the port of this purpose's previous listener when free, else any); resolves the port. */
export async function listenOnLoopback(server: Server, purpose: string): Promise<number> {
  const listenOn = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const previous = LAST_PORTS.get(purpose);
  await (previous ? listenOn(previous).catch(() => listenOn(0)) : listenOn(0));
  const { port } = server.address() as AddressInfo;
  LAST_PORTS.set(purpose, port);
  return port;
}
