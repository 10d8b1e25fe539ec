// A real third-party client for the integration tests: node `ws` (pinned in
// tests/package.json). Usage:
//   node node_client.mjs URL SCENARIO [ARG...]
// Performs the scenario and prints one JSON object on stdout: what it
// observed (pytest makes the assertions). Exits 0 when the scenario ran to
// the end, 1 on an error, 2 on its own timeout.
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const WebSocket = require('ws');

const [url, scenario, ...args] = process.argv.slice(2);
const TIMEOUT_MS = Number(process.env.NODE_CLIENT_TIMEOUT_MS || 60000);

function finish(result, code = 0) {
  process.stdout.write(JSON.stringify(result) + '\n', () => process.exit(code));
}

setTimeout(() => finish({ error: `scenario ${scenario} timed out` }, 2),
  TIMEOUT_MS).unref();

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

function open(options = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) =>
      reject(new Error(`unexpected response ${res.statusCode}`)));
  });
}

// Message queue: resolve recv() in arrival order.
function queue(ws) {
  const items = [];
  const waiters = [];
  let closed = null;
  ws.on('message', (data, isBinary) => {
    const m = { isBinary, data: Buffer.from(data) };
    if (waiters.length) waiters.shift().resolve(m); else items.push(m);
  });
  ws.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
    while (waiters.length) waiters.shift().reject(new Error(`closed ${code}`));
  });
  return {
    recv() {
      if (items.length) return Promise.resolve(items.shift());
      if (closed) return Promise.reject(new Error(`closed ${closed.code}`));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
  };
}

function closed(ws) {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) resolve({ code: null, reason: '' });
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

function describe(m) {
  return {
    isBinary: m.isBinary,
    length: m.data.length,
    sha256: sha256(m.data),
    text: m.isBinary ? null : m.data.toString('utf8'),
  };
}

async function echo(payload, sendOptions = {}) {
  const ws = await open();
  const q = queue(ws);
  ws.send(payload, sendOptions);
  const m = await q.recv();
  ws.close(1000);
  await closed(ws);
  return {
    sent: { length: Buffer.byteLength(payload), sha256: sha256(Buffer.from(payload)) },
    got: describe(m),
    extensions: ws.extensions,
    protocol: ws.protocol,
  };
}

const scenarios = {
  async text() { return echo('hello from node ws \u{1F600} \u00e9\u20ac'); },
  async binary() { return echo(Buffer.from([...Array(256).keys()])); },
  async 'empty-text'() { return echo(''); },
  async 'empty-binary'() { return echo(Buffer.alloc(0)); },
  async large(size) {
    const ws = await open({ maxPayload: 64 * 1024 * 1024 });
    const q = queue(ws);
    const payload = randomBytes(Number(size));
    ws.send(payload);
    const m = await q.recv();
    ws.close(1000);
    await closed(ws);
    return { sent: { length: payload.length, sha256: sha256(payload) }, got: describe(m) };
  },
  async 'large-text'(size) {
    const ws = await open({ maxPayload: 64 * 1024 * 1024 });
    const q = queue(ws);
    const unit = 'abc \u00e9\u20ac\u{1F600} ';
    const payload = unit.repeat(Math.ceil(Number(size) / Buffer.byteLength(unit)));
    ws.send(payload);
    const m = await q.recv();
    ws.close(1000);
    await closed(ws);
    return { sent: { length: Buffer.byteLength(payload), sha256: sha256(Buffer.from(payload)) },
      got: describe(m) };
  },
  async many(count) {
    const ws = await open();
    const q = queue(ws);
    const n = Number(count);
    const sent = [];
    for (let i = 0; i < n; i++) {
      const m = i % 3 === 0 ? randomBytes(i % 200) : `node message ${i}`;
      sent.push(m);
      ws.send(m);
    }
    let matched = 0;
    for (let i = 0; i < n; i++) {
      const got = await q.recv();
      const exp = sent[i];
      const same = typeof exp === 'string'
        ? !got.isBinary && got.data.toString('utf8') === exp
        : got.isBinary && got.data.equals(exp);
      if (same) matched++;
    }
    ws.close(1000);
    await closed(ws);
    return { sent: n, matched };
  },
  async ping() {
    const ws = await open();
    const q = queue(ws);
    const pongs = [];
    const payloads = ['node-ping', '', randomBytes(125).toString('hex').slice(0, 125)];
    for (const p of payloads) {
      const pong = new Promise((resolve) => ws.once('pong', (d) => resolve(d.toString())));
      ws.ping(p);
      pongs.push(await pong);
    }
    ws.send('after pings');
    const m = await q.recv();
    ws.close(1000);
    await closed(ws);
    return { pings: payloads, pongs, after: describe(m) };
  },
  async close(code) {
    const ws = await open();
    const q = queue(ws);
    ws.send('before close');
    await q.recv();
    const done = closed(ws);
    ws.close(Number(code), `closing with ${code}`);
    return await done;
  },
  async fragmented() {
    const ws = await open();
    const q = queue(ws);
    ws.send('frag', { fin: false });
    ws.send('mented ', { fin: false });
    ws.send('', { fin: false });
    ws.send('text \u20ac', { fin: true });
    const t = await q.recv();
    ws.send(Buffer.from([1, 2]), { binary: true, fin: false });
    ws.ping('between fragments');
    ws.send(Buffer.alloc(70000, 7), { binary: true, fin: false });
    ws.send(Buffer.from([3]), { binary: true, fin: true });
    const b = await q.recv();
    ws.close(1000);
    await closed(ws);
    const expected = Buffer.concat([Buffer.from([1, 2]), Buffer.alloc(70000, 7), Buffer.from([3])]);
    return { text: describe(t), binary: describe(b), expectedBinarySha256: sha256(expected),
      expectedBinaryLength: expected.length };
  },
  async 'too-big'(size) {
    const ws = await open();
    const done = closed(ws);
    ws.on('message', () => {});
    ws.send(Buffer.alloc(Number(size), 0x61));
    return await done;
  },
  async concurrent(count, perClient) {
    const n = Number(count);
    const k = Number(perClient);
    const one = async (i) => {
      const ws = await open();
      const q = queue(ws);
      let ok = 0;
      for (let j = 0; j < k; j++) {
        const m = `client ${i} message ${j} ` + 'x'.repeat(j * 10);
        ws.send(m);
        const got = await q.recv();
        if (!got.isBinary && got.data.toString('utf8') === m) ok++;
      }
      ws.close(1000);
      const c = await closed(ws);
      return { ok, closeCode: c.code };
    };
    const results = await Promise.all([...Array(n).keys()].map(one));
    return { clients: results.length, allMessagesOk: results.every((r) => r.ok === k),
      closeCodes: [...new Set(results.map((r) => r.closeCode))] };
  },
};

const run = scenarios[scenario];
if (!url || !run) {
  finish({ error: `usage: node_client.mjs URL (${Object.keys(scenarios).join('|')}) [ARG]` }, 1);
} else {
  run(...args).then((r) => finish(r), (e) => finish({ error: String(e && e.stack || e) }, 1));
}
