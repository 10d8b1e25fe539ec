#!/usr/bin/env node
// An Autobahn-style client driver for `wsprobe serve` on node's `ws`
// package (tests/node_modules/ws): the client under test is `ws`.
//
//   node node_client.mjs BASE_URL AGENT   getCaseCount, runCase for every
//                                         case (echoing each message), then
//                                         updateReports
//   node node_client.mjs --url CASE_URL   one case (a runCase URL), as
//                                         `wsprobe serve --exec` runs it
//
// Every wait is bounded (CASE_TIMEOUT_MS per case). Exit status 0 when every
// step was done, 2 on a usage error or when the server is not there.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
const WebSocket = require('ws');

const CASE_TIMEOUT_MS = Number(process.env.CASE_TIMEOUT_MS || 30000);

function runCase(url) {
  return new Promise((resolve) => {
    let ws;
    const timer = setTimeout(() => {
      if (ws) ws.terminate();
      resolve(`no end within ${CASE_TIMEOUT_MS} ms`);
    }, CASE_TIMEOUT_MS);
    const done = (how) => { clearTimeout(timer); resolve(how); };
    try {
      ws = new WebSocket(url, { maxPayload: 64 << 20 });
    } catch (e) {
      done(`failed: ${e.message}`);
      return;
    }
    ws.on('message', (data, isBinary) => {
      ws.send(data, { binary: isBinary }, () => {});
    });
    ws.on('error', (e) => { ws.__error = e.message; });
    ws.on('close', (code) => done(`closed ${code}${ws.__error ? ` (${ws.__error})` : ''}`));
  });
}

function ask(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let answer = null;
    const timer = setTimeout(() => { ws.terminate(); resolve(answer); }, 10000);
    ws.on('message', (data) => { answer = data.toString(); });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
    ws.on('close', () => { clearTimeout(timer); resolve(answer); });
  });
}

async function main(argv) {
  if (argv.length === 2 && argv[0] === '--url') {
    console.log(await runCase(argv[1]));
    return 0;
  }
  if (argv.length !== 2) {
    console.error('usage: node_client.mjs BASE_URL AGENT | --url CASE_URL');
    return 2;
  }
  const base = argv[0].replace(/\/*$/, '/');
  const agent = encodeURIComponent(argv[1]);
  const count = parseInt(await ask(`${base}getCaseCount`), 10);
  if (!(count >= 0)) throw new Error('no case count');
  for (let n = 1; n <= count; n++) {
    const how = await runCase(`${base}runCase?case=${n}&agent=${agent}`);
    console.log(`case ${n}/${count}: ${how}`);
  }
  await ask(`${base}updateReports?agent=${agent}`);
  return 0;
}

main(process.argv.slice(2)).then((rc) => process.exit(rc), (e) => {
  console.error(`node_client: ${e.message}`);
  process.exit(2);
});
