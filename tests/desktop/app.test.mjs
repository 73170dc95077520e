// The real Karte desktop app (Tauri, WebKitGTK) under Xvfb, driven over
// WebDriver through tauri-driver: unlock, open a chart, record a visit.
// A screenshot of the window is saved to $KARTE_ARTIFACTS; afterwards no
// patient name or note may appear in the bytes of WebKit's data, caches or
// logs. Run by `cargo xtask test` as:
//   xvfb-run -a node --test app.test.mjs
// with KARTE_BIN (the karte CLI), KARTE_APP (the app) and TAURI_DRIVER set.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const KARTE = process.env.KARTE_BIN;
const APP = process.env.KARTE_APP;
const DRIVER = process.env.TAURI_DRIVER ?? 'tauri-driver';
const ARTIFACTS = process.env.KARTE_ARTIFACTS ?? tmpdir();
const PASSPHRASE = 'desktop test passphrase';
const NOTE = 'DESKTOP-NOTE-ふらつきなし';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

async function waitForPort(port, ms = 20000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on port ${port}`);
}

/// The CSS selector of a test id, or of a path of them: `['patient-list',
/// 'patient-row']` is a patient row inside the patient list (the same
/// patient can also stand in today's visits, depending on the date).
function selector(testid) {
  return [testid].flat().map((id) => `[data-testid="${id}"]`).join(' ');
}

/// A minimal WebDriver client over HTTP.
class WebDriver {
  constructor(base) { this.base = base; }
  async call(method, path, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  }
  async start(application, env) {
    const value = await this.call('POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application, env } } },
    });
    this.session = `/session/${value.sessionId}`;
    await this.call('POST', `${this.session}/timeouts`, { implicit: 15000 });
  }
  async find(testid) {
    const value = await this.call('POST', `${this.session}/element`, {
      using: 'css selector', value: selector(testid),
    });
    return Object.values(value)[0];
  }
  async all(testid) {
    const values = await this.call('POST', `${this.session}/elements`, {
      using: 'css selector', value: selector(testid),
    });
    return values.map((v) => Object.values(v)[0]);
  }
  async type(testid, text) {
    // A form can render again just after it appears (the visit form when
    // its draft arrives), replacing the element found a moment before;
    // WebKit's driver then answers "unknown error". Find it afresh and
    // try again, a few times.
    for (let attempt = 1; ; attempt++) {
      const element = await this.find(testid);
      try {
        await this.call('POST', `${this.session}/element/${element}/value`, { text });
        return;
      } catch (error) {
        if (attempt >= 3) throw error;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }
  async click(testid) {
    const element = await this.find(testid);
    // Centre it first: the status bar is fixed at the bottom of the window
    // and would otherwise sit over a button at the very bottom.
    await this.call('POST', `${this.session}/execute/sync`, {
      script: 'document.querySelector(arguments[0]).scrollIntoView({ block: "center" });',
      args: [selector(testid)],
    });
    await this.call('POST', `${this.session}/element/${element}/click`, {});
  }
  async text(testid) {
    const element = await this.find(testid);
    return this.call('GET', `${this.session}/element/${element}/text`);
  }
  async waitFor(what, check, ms = 15000) {
    const until = Date.now() + ms;
    let last;
    while (Date.now() < until) {
      try {
        last = await check();
        if (last) return last;
      } catch (error) { last = error; }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`timed out waiting for ${what}: ${last}`);
  }
  async stop() {
    if (this.session) await this.call('DELETE', this.session).catch(() => {});
  }
}

function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(path);
    return entry.isFile() ? [path] : [];
  });
}

test('unlock, open a chart and record a visit in the desktop app', { timeout: 240000 }, async () => {
  assert.ok(KARTE && APP, 'KARTE_BIN and KARTE_APP must name the karte CLI and the app');
  const home = mkdtempSync(join(tmpdir(), 'karte-desktop-'));
  const vault = join(home, 'vault.karte');
  // Everything the app or WebKit writes lands under this home, so the scan
  // below sees all of it.
  const env = {
    ...process.env,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_CONFIG_HOME: join(home, 'config'),
    KARTE_VAULT: vault,
    KARTE_PASSPHRASE: PASSPHRASE,
  };
  for (const dir of ['data', 'cache', 'config']) mkdirSync(join(home, dir));
  execFileSync(KARTE, ['init', '--user', 'nurse'], { env });
  execFileSync(KARTE, ['demo', '--patients', '3', '--seed', '11'], { env });
  const names = JSON.parse(execFileSync(KARTE, ['patient', 'list', '--json'], { env }).toString())
    .map((p) => `${p.family}${p.given}`);
  assert.equal(names.length, 3);

  const port = await freePort();
  const nativePort = await freePort();
  const log = [];
  // In a process group of its own, so that stopping it stops the app it
  // started too: an app left running holds the driver's output pipes open,
  // and this test's process would wait on them for ever.
  const driver = spawn(DRIVER, ['--port', String(port), '--native-port', String(nativePort)], {
    env,
    detached: true,
  });
  driver.stdout.on('data', (d) => log.push(d.toString()));
  driver.stderr.on('data', (d) => log.push(d.toString()));
  const wd = new WebDriver(`http://127.0.0.1:${port}`);
  try {
    await waitForPort(port);
    await wd.start(APP, { KARTE_VAULT: vault, HOME: home });

    // The first start of the web view compiles the wasm UI, which can take
    // a while on a loaded machine: wait for it longer than for a screen,
    // and say how far the start got (the page's `data-boot`) if it never
    // comes.
    await wd.waitFor('the unlock screen', async () => {
      const boot = await wd.call('POST', `${wd.session}/execute/sync`, {
        script: 'return document.documentElement.dataset.boot ?? "boot.js never ran";', args: [],
      });
      if (boot === 'failed') throw new Error(await wd.text('boot-error'));
      if ((await wd.all('unlock')).length > 0) return true;
      throw new Error(`the UI's start is ${boot}`);
    }, 90000);
    await wd.type('unlock-passphrase', PASSPHRASE);
    await wd.click('unlock-submit');
    const listed = ['patient-list', 'patient-row'];
    await wd.waitFor('three patients in the list', async () => (await wd.all(listed)).length === 3);

    await wd.click(listed);
    await wd.find('chart');
    const shown = await wd.text('chart-name');
    assert.ok(names.some((name) => shown.replace(/\s/g, '').includes(name)), `${shown} is a demo patient`);
    assert.ok((await wd.text('allergy-banner')).trim().length > 0, 'the allergy banner is never blank');

    await wd.click('record-visit');
    await wd.find('visit-form');
    await wd.type('visit-temp', '36.9');
    await wd.type('visit-bp', '128/76');
    await wd.type('visit-pulse', '74');
    await wd.type('visit-spo2', '97');
    await wd.type('visit-subjective', NOTE);
    await wd.click('visit-save');
    await wd.find('chart');
    // The timeline shows the newest visits first (older ones on request),
    // so the new visit's note is at its top.
    await wd.waitFor('the new visit in the timeline', async () => (await wd.text('visit-timeline')).includes(NOTE));
    const newest = await wd.text('visit');
    assert.ok(newest.includes(NOTE) && newest.includes('128/76'), `the newest visit is the one recorded: ${newest}`);

    const shot = join(ARTIFACTS, 'desktop-app.png');
    execFileSync('import', ['-window', 'root', shot]);
    assert.ok(statSync(shot).size > 10000, 'the screenshot holds the window');

    await wd.click('lock');
    await wd.find('unlock');
  } catch (error) {
    // What the window showed, for the failure report.
    console.error(log.join(''));
    const source = await wd.call('GET', `${wd.session}/source`).catch((e) => `${e}`);
    console.error(`page source at failure:\n${String(source).slice(0, 4000)}`);
    execFileSync('import', ['-window', 'root', join(ARTIFACTS, 'desktop-app-failure.png')]);
    throw error;
  } finally {
    await wd.stop();
    try {
      process.kill(-driver.pid, 'SIGTERM');
    } catch {
      // The group had already ended.
    }
    driver.stdout.destroy();
    driver.stderr.destroy();
  }

  // The visit reached the vault: the command line reads it back.
  const ids = JSON.parse(execFileSync(KARTE, ['patient', 'list', '--json'], { env }).toString())
    .map((p) => p.id);
  const charts = ids.map((id) => execFileSync(KARTE, ['chart', 'show', id, '--json'], { env }).toString());
  assert.equal(charts.filter((chart) => chart.includes(NOTE)).length, 1, 'one chart holds the new note');

  // No name or note in anything the app or its web view kept, the vault
  // included (it is encrypted).
  const kept = filesUnder(home);
  assert.ok(kept.some((path) => path.startsWith(vault)), 'the scan sees the vault');
  for (const path of kept) {
    const bytes = readFileSync(path);
    for (const secret of [...names, NOTE]) {
      for (const encoding of ['utf8', 'utf16le']) {
        assert.ok(!bytes.includes(Buffer.from(secret, encoding)), `${secret} found in ${path}`);
      }
    }
  }
});
