// Echo server on node's `ws` (the version pinned in tests/package.json) for
// tests/integration/test_thirdparty_servers.py.
//
//   node tests/thirdparty/node_echo_server.mjs [--port 0] [--host 127.0.0.1]
//
// Prints `listening on ws://HOST:PORT/` once bound (port 0: ephemeral),
// echoes every text and binary message with the same type, serves until
// SIGTERM or SIGINT and then exits 0. Settings that differ from the
// library's defaults:
//   perMessageDeflate: true   (ws's default is off for servers; on, the
//                             compression area runs against ws's own)
//   maxPayload: 64 MiB        (default 100 MiB; the catalogue needs less)
// Everything else is ws's own behaviour: that is what is under test.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Resolve `ws` from tests/node_modules whatever the working directory.
const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
function opt(name, dflt) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
}
const host = opt('--host', '127.0.0.1');
const port = Number(opt('--port', '0'));

const wss = new WebSocketServer({
  host,
  port,
  perMessageDeflate: true,
  maxPayload: 64 * 1024 * 1024,
});

wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    ws.send(data, { binary: isBinary });
  });
  ws.on('error', () => {}); // protocol errors: ws closes the connection itself
});

wss.on('listening', () => {
  const a = wss.address();
  process.stdout.write(`listening on ws://${a.address}:${a.port}/\n`);
});

wss.on('error', (err) => {
  process.stderr.write(`server error: ${err.stack || err}\n`);
  process.exit(2);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  for (const c of wss.clients) c.terminate();
  wss.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
