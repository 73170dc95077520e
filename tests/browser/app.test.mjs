// The Karte UI in Debian's Chromium, against a real bridge (`karte ui serve`)
// and a real hub, with a second device on the command line for a conflict.
//
// Every journey runs twice: on a laptop (1366×800, mouse and keyboard) and
// on a tablet (Chromium's touch emulation, 1180×820 and 820×1180, taps
// only). On every screen, at each of the device's sizes, a layout check
// fails on a tap target under 44 px or anything wider than the viewport
// (screens.mjs), and a screenshot is written for a reviewer. Each device
// runs in another locale and time zone: the app must not take either from
// the browser.
//
// Env: KARTE_BIN (the karte binary), KARTE_HUB_BIN (the karte-hub binary),
// KARTE_UI_DIST (the built UI, see ui/build.sh), KARTE_ARTIFACTS (where the
// screenshots go, under screens/; default /tmp), CHROMIUM (default
// /usr/bin/chromium), KARTE_DEVICES (a comma-separated choice of desktop,
// tablet; default both).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect } from 'node:net';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { screens, measure, MIN_TARGET } from './screens.mjs';

const run = promisify(execFile);
const KARTE = process.env.KARTE_BIN;
const HUB = process.env.KARTE_HUB_BIN;
const DIST = process.env.KARTE_UI_DIST;
const ARTIFACTS = process.env.KARTE_ARTIFACTS || '/tmp';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// "Today" (today's visits, the day's route) is the app's day in Japan. A
// run is minutes long but could cross midnight there (15:00 UTC) and change
// day halfway; unless `cargo xtask test --clock` chose an instant, every
// process this test starts (CLI, hub, bridge; the UI follows the bridge)
// begins at 10:00 of today in Japan, far from either midnight.
if (!process.env.KARTE_TEST_NOW) {
  const todayInJapan = new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
  process.env.KARTE_TEST_NOW = `${todayInJapan}T10:00:00+09:00@${Date.now()}`;
}

const PASSPHRASE = 'correct horse battery staple';
const CLI_PASSPHRASE = 'another long passphrase 42';
// Patient data that must never reach the browser's storage.
const FAMILY = '山田';
const GIVEN = '花子';
const NOTE = 'ひざの痛みは軽くなったと話す';
const UI_PHONE = '090-5555-6666';
const SECOND_FAMILY = '佐藤';
const SECOND_GIVEN = '一郎';
const CLI_PHONE = '090-3333-4444';

const children = [];
const WOUND = '仙骨部';
// Disaster mode: the patients a casualty turns out to be, and the site of the daily report.
const KNOWN_FAMILY = '高橋';
const KNOWN_GIVEN = '良子';
const OTHER_FAMILY = '伊藤';
const OTHER_GIVEN = '健';
const SITE = '益城町総合体育館';
const CONSULT_NOTE = '発熱と頭痛、降圧薬は継続';
// Carried bundles: the chart handed over on a file, and the other device's clerk.
const CARRIED_FAMILY = '小林';
const NEARBY_FAMILY = '野村';
const NEARBY_GIVEN = '幸子';
const LATER_GIVEN = '春子';
const CARRIED_GIVEN = '和子';
const CLERK_PASSPHRASE = 'a clerk passphrase of some length';
// The documents step's patient and the text typed into her 報告書.
const DOC_FAMILY = '中村';
const DOC_GIVEN = '節子';
const DOC_CARE = '清拭と服薬確認。家族へ体位変換を助言';

/**
 * A small camera JPEG: drawn by Chromium (a plain colour per `seed`), with
 * an EXIF block (camera maker, orientation, a GPS position) spliced in after
 * its start marker, as a phone's camera writes it.
 */
async function cameraJpeg(context, seed) {
  const page = await context.newPage();
  try {
    const base64 = await page.evaluate(async (hue) => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      const g = canvas.getContext('2d');
      g.fillStyle = `hsl(${hue}, 60%, 50%)`;
      g.fillRect(0, 0, 64, 48);
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.9));
      let text = '';
      for (const byte of new Uint8Array(await blob.arrayBuffer())) text += String.fromCharCode(byte);
      return btoa(text);
    }, seed * 120);
    const jpeg = Buffer.from(base64, 'base64');
    const maker = Buffer.from('KarteTestCamera\0', 'latin1');
    // Big-endian TIFF: IFD0 (maker, orientation, GPS pointer), a GPS IFD (north), then the maker's text.
    const tiff = Buffer.alloc(8 + 2 + 3 * 12 + 4 + 2 + 12 + 4);
    tiff.write('MM\0\x2a', 0, 'latin1');
    tiff.writeUInt32BE(8, 4);
    const gpsAt = 8 + 2 + 3 * 12 + 4;
    const makerAt = tiff.length;
    let at = 8;
    tiff.writeUInt16BE(3, at); at += 2;
    const entry = (tag, kind, count, value) => {
      tiff.writeUInt16BE(tag, at); tiff.writeUInt16BE(kind, at + 2); tiff.writeUInt32BE(count, at + 4);
      if (typeof value === 'number') tiff.writeUInt32BE(value, at + 8); else value.copy(tiff, at + 8);
      at += 12;
    };
    entry(0x010F, 2, maker.length, makerAt);
    entry(0x0112, 3, 1, Buffer.from([0, 1, 0, 0]));
    entry(0x8825, 4, 1, gpsAt);
    tiff.writeUInt32BE(0, at); at += 4;
    tiff.writeUInt16BE(1, at); at += 2;
    entry(0x0001, 2, 2, Buffer.from('N\0\0\0', 'latin1'));
    tiff.writeUInt32BE(0, at);
    const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff, maker]);
    const app1 = Buffer.alloc(4);
    app1.writeUInt16BE(0xFFE1, 0);
    app1.writeUInt16BE(payload.length + 2, 2);
    return Buffer.concat([jpeg.subarray(0, 2), app1, payload, jpeg.subarray(2)]);
  } finally {
    await page.close();
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts a long-running command of `binary` (karte unless given); resolves
 * with it and its first stdout line.
 */
function start(args, env = {}, binary = KARTE) {
  const child = spawn(binary, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve({ child, line }));
    child.once('exit', (code) => reject(new Error(`${binary} ${args.join(' ')} exited ${code}: ${stderr}`)));
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

async function karte(args, env = {}) {
  const { stdout } = await run(KARTE, args, { env: { ...process.env, ...env } });
  return stdout.trim();
}

/**
 * A TCP relay on loopback to `port`, closed at will: a device enrolled
 * through it loses the hub when it closes, as a device out of reach does.
 */
function tcpRelay(port) {
  const sockets = new Set();
  const server = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      close: () => new Promise((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
    }));
  });
}

/** Runs a karte-hub administration command; its stdout, trimmed. */
async function hub(args) {
  const { stdout } = await run(HUB, args);
  return stdout.trim();
}

/** Every file under `dir`, for the storage scan. */
function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    let info;
    try { info = statSync(path); } catch { continue; }
    if (info.isDirectory()) out.push(...files(path));
    else if (info.isFile()) out.push(path);
  }
  return out;
}

/** A small client of a bridge: calls an operation by name, as the UI does. */
function bridgeClient(url) {
  const base = url.split('#')[0];
  const token = url.split('#token=')[1];
  return async (operation, args = {}) => {
    const response = await fetch(`${base}api/v1/${operation}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(args),
    });
    const text = await response.text();
    assert.ok(response.ok, `${operation}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}


/**
 * The devices a nurse uses: a laptop with mouse and keyboard, and a tablet
 * held either way, touch only. Each runs in a locale and time zone far
 * from Japan's, which the app must not take its dates from.
 */
const DEVICES = [
  {
    name: 'desktop', touch: false, keyboard: true,
    sizes: [{ width: 1366, height: 800 }],
    locale: 'en-US', timezoneId: 'America/Los_Angeles',
  },
  {
    name: 'tablet', touch: true, keyboard: false,
    sizes: [{ width: 1180, height: 820 }, { width: 820, height: 1180 }],
    locale: 'de-DE', timezoneId: 'Pacific/Honolulu',
  },
];
const chosen = (process.env.KARTE_DEVICES ?? 'desktop,tablet').split(',').map((s) => s.trim());
// KARTE_STEPS: words of the steps to run (`disaster`), comma-separated;
// the first run and the enrolment always run, since every step needs
// them. All steps when not set. For running one step again and again
// while looking into it.
const STEPS = process.env.KARTE_STEPS?.split(',').map((s) => s.trim()).filter(Boolean);
const SETUP = ['first run', 'enrol with the hub'];
const wanted = (title) => !STEPS || [...SETUP, ...STEPS].some((word) => title.includes(word));

test('the layout check finds a small tap target and a sideways overflow', async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await browser.newPage({ viewport: { width: 820, height: 1180 }, hasTouch: true, isMobile: true });
    await page.setContent(`<meta name="viewport" content="width=device-width">
      <button data-testid="big" style="width:60px;height:48px">ok</button>
      <button data-testid="tiny" style="min-width:0;width:30px;height:30px;padding:0">x</button>
      <span data-testid="clickable" style="cursor:pointer">link-like</span>
      <div data-testid="wide" style="width:900px">wide</div>
      <div style="overflow-x:auto"><div style="width:2000px">scrolls inside its box</div></div>`);
    const { small, overflowing } = await page.evaluate(measure, MIN_TARGET);
    assert.equal(small.length, 2, small.join('\n'));
    assert.ok(small.some((s) => s.includes('tiny')) && small.some((s) => s.includes('clickable')), small.join('\n'));
    assert.ok(overflowing.some((s) => s.includes('scrolls sideways')), overflowing.join('\n'));
    assert.ok(overflowing.some((s) => s.includes('data-testid=wide')), overflowing.join('\n'));
    assert.ok(!overflowing.some((s) => s.includes('inside its box')), overflowing.join('\n'));
  } finally {
    await browser.close();
  }
});

for (const device of DEVICES.filter((d) => chosen.includes(d.name))) {
  test(`a nurse uses Karte on a ${device.name}: first run to a resolved conflict`, { timeout: 600_000 }, (t) => journey(t, device));
}

async function journey(t, device) {
  assert.ok(KARTE, 'set KARTE_BIN to the karte binary');
  assert.ok(HUB, 'set KARTE_HUB_BIN to the karte-hub binary');
  assert.ok(DIST, 'set KARTE_UI_DIST to the built UI (ui/build.sh DIR)');
  const dir = mkdtempSync(join(tmpdir(), `karte-browser-${device.name}-`));
  const profile = join(dir, 'chromium-profile');
  const hubDb = `sqlite:${join(dir, 'hub.sqlite')}`;
  let browser;
  t.after(async () => {
    if (browser) await browser.close().catch(() => {});
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  });

  // The hub, one organisation, a code for each device.
  const org = (await hub(['--db', hubDb, 'org', 'add', '--recovery-key-out', join(dir, 'recovery.pem'), 'ひまわり訪問看護'])).split('\n')[0].trim();
  const invite = async () => (await hub(['--db', hubDb, 'device', 'invite', '--org', org])).split('\n')[0].trim();
  const uiCode = await invite();
  const cliCode = await invite();
  const hubPort = await freePort();
  const hubUrl = `http://127.0.0.1:${hubPort}`;
  // The master key the hub seals the charts it stores under.
  const masterKey = join(dir, 'hub-master.key');
  await hub(['master-key', 'new', '--out', masterKey]);
  start(['--db', hubDb, 'serve', '--listen', `127.0.0.1:${hubPort}`, '--master-key', masterKey], {}, HUB).catch(() => {});
  await waitForPort(hubPort);

  // The nurse's device: the bridge serving the built UI.
  const { child: bridge, line: url } = await start(['ui', 'serve', '--vault', join(dir, 'ui.karte'), '--ui-dist', DIST]);
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#token=/);

  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: device.sizes[0],
    hasTouch: device.touch,
    isMobile: device.touch,
    locale: device.locale,
    timezoneId: device.timezoneId,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(15_000);
  const id = (name) => page.getByTestId(name);
  // A finger on a tablet, the mouse on a laptop.
  const press = (locator) => (device.touch ? locator.tap() : locator.click());
  // Typing into a field: a tablet's field is tapped first (that brings up
  // its keyboard); a laptop's is clicked.
  const enter = async (locator, text) => {
    await press(locator);
    await locator.fill(text);
  };
  // Waits until the trend line `testid` has `count` points. Polled from here:
  // the app's content policy forbids the eval that in-page waiting uses.
  const pointsOf = async (testid, count) => {
    let points = '';
    for (let i = 0; i < 100; i++) {
      points = ((await id(testid).getAttribute('points').catch(() => null)) ?? '').trim();
      if (points && points.split(/\s+/).length === count) return;
      await page.waitForTimeout(100);
    }
    assert.fail(`${testid} has points "${points}", not ${count} of them`);
  };
  const { check: screen } = screens(page, device, join(ARTIFACTS, 'screens'));
  const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `karte-ui-${device.name}-${name}.png`), fullPage: true });
  // A step of the journey, skipped when KARTE_STEPS leaves it out. A step
  // that fails leaves a screenshot of the screen as it was, named after it.
  let steps = 0;
  const step = (title, fn) => {
    const number = ++steps;
    return t.test(title, { skip: !wanted(title) && 'not in KARTE_STEPS' }, async () => {
      try {
        await fn();
      } catch (error) {
        await shot(`failure-step-${number}`).catch(() => {});
        throw error;
      }
    });
  };

  try {
    await step('first run: create the vault, with strength feedback and inline errors', async () => {
      await page.goto(url);
      await id('first-run').waitFor();
      await enter(id('create-user'), 'sato');
      await enter(id('create-passphrase'), 'short');
      await assert.doesNotReject(id('passphrase-strength').getByText('短すぎます').waitFor());
      await enter(id('create-passphrase'), PASSPHRASE);
      await enter(id('create-confirm'), 'correct horse battery stapler');
      await press(id('create-submit'));
      await id('create-confirm-error').waitFor();
      await screen('first-run');
      assert.equal(await id('create-confirm').inputValue(), 'correct horse battery stapler', 'typed text is kept');
      await enter(id('create-confirm'), PASSPHRASE);
      await press(id('create-submit'));
      await id('enrol-step').waitFor();
    });

    await step('enrol with the hub through the UI', async () => {
      await enter(id('enrol-hub-url'), 'hub.example');
      await enter(id('enrol-code'), uiCode);
      await enter(id('enrol-device-name'), `${device.name}-1`);
      await press(id('enrol-submit'));
      const error = await id('enrol-hub-url-error').textContent();
      assert.match(error, /http:\/\//);
      assert.equal(await id('enrol-hub-url').inputValue(), 'hub.example');
      await screen('enrol');
      await enter(id('enrol-hub-url'), hubUrl);
      await press(id('enrol-submit'));
      await id('patients').waitFor();
      await id('sync-bar').getByText('最終同期').waitFor();
    });

    await step('add a patient, with a bad kana reading caught as typed', async () => {
      await press(id('add-patient'));
      await enter(id('patient-family'), FAMILY);
      await enter(id('patient-given'), GIVEN);
      await enter(id('patient-family-kana'), 'やまだ');
      await enter(id('patient-given-kana'), 'Hanako');
      const error = await id('patient-given-kana-error').textContent();
      assert.match(error, /カタカナかひらがな/);
      assert.equal(await id('patient-given-kana').inputValue(), 'Hanako');
      await screen('patient-form');
      await enter(id('patient-given-kana'), 'はなこ');
      await id('patient-birth').fill('1941-03-02');
      // The date input draws the date in the browser's locale; the line under it reads it in Japanese form.
      assert.equal(await id('patient-birth-reading').textContent(), '1941年3月2日');
      await enter(id('patient-phone'), '090-1111-2222');
      await press(id('patient-save'));
      await id('chart').waitFor();
      assert.equal(await id('chart-name').textContent(), `${FAMILY} ${GIVEN}`);
      assert.match(await id('allergy-banner').textContent(), /未確認/);
    });

    await step('record a visit: validated as typed, the draft survives leaving the form', async () => {
      await press(id('record-visit'));
      await enter(id('visit-temp'), '3.68');
      assert.match(await id('visit-temp-error').textContent(), /30〜45/);
      await screen('visit-form');
      assert.equal(await id('visit-temp').inputValue(), '3.68');
      await enter(id('visit-temp'), '36.8');
      await id('visit-temp-error').waitFor({ state: 'detached' });
      await enter(id('visit-bp'), '132/84');
      await enter(id('visit-pulse'), '72');
      await enter(id('visit-spo2'), '97');
      await enter(id('visit-subjective'), NOTE);
      await page.waitForTimeout(1500); // the draft is written a moment after the last keystroke
      await press(id('visit-cancel'));
      await id('chart').waitFor();
      await press(id('record-visit'));
      await id('draft-restored').waitFor();
      assert.equal(await id('visit-subjective').inputValue(), NOTE);
      assert.equal(await id('visit-bp').inputValue(), '132/84');
      await press(id('visit-save'));
      await id('chart').waitFor();
      await page.getByTestId('visit-soap').getByText(NOTE).waitFor();
      const points = await id('trend-temperature-temperature').getAttribute('points');
      assert.equal(points.trim().split(/\s+/).length, 1);
      await screen('chart');

      await press(id('record-visit'));
      assert.equal(await id('visit-subjective').inputValue(), '', 'the saved draft was discarded');
      await enter(id('visit-temp'), '37.2');
      await enter(id('visit-bp'), '128/80');
      // Who visited (a physical therapist) and a long visit, as `karte visit record --profession --long-visit` has them.
      await id('visit-profession').selectOption('physical-therapist');
      await press(id('visit-long-visit'));
      assert.ok(await id('visit-long-visit').isChecked());
      await press(id('visit-save'));
      await id('chart').waitFor();
      await pointsOf('trend-temperature-temperature', 2);
      const core = bridgeClient(url);
      const [patient] = await core('patients', { search: FAMILY });
      const visits = (await core('chart', { patient: patient.id })).visits;
      assert.deepEqual(visits.map((v) => [v.profession ?? null, v.long_visit]).sort(),
        [[null, false], ['physical-therapist', true]], 'the first visit says no profession, the second a PT\'s long visit');
      const bp = await id('trend-bp-systolic').getAttribute('points');
      assert.equal(bp.trim().split(/\s+/).length, 2);
    });

    await step('a visit recorded with taps alone: ± buttons, the field typed kept above the keyboard', async () => {
      await press(id('record-visit'));
      for (let i = 0; i < 3; i++) await press(id('visit-temp-up'));
      await press(id('visit-temp-down'));
      assert.equal(await id('visit-temp').inputValue(), '36.6', 'from 36.5: up, up, down');
      await press(id('visit-dia-up'));
      assert.equal(await id('visit-bp').inputValue(), '120/80', 'an empty pressure starts at 120/80');
      await press(id('visit-sys-up'));
      await press(id('visit-sys-up'));
      await press(id('visit-dia-down'));
      assert.equal(await id('visit-bp').inputValue(), '122/79');
      await press(id('visit-pulse-up'));
      await press(id('visit-pulse-up'));
      await press(id('visit-spo2-down'));
      assert.equal(await id('visit-pulse').inputValue(), '73');
      assert.equal(await id('visit-spo2').inputValue(), '97');
      await screen('visit-form-steppers');
      if (device.touch) {
        // The on-screen keyboard comes up under the lowest field and takes
        // the bottom 40 % of the screen: the field stays in what is left,
        // above the sync bar and the save button.
        const size = device.sizes[1];
        await page.setViewportSize(size);
        await press(id('visit-plan'));
        const keyboardUp = { width: size.width, height: Math.round(size.height * 0.6) };
        await page.setViewportSize(keyboardUp);
        let box;
        for (let i = 0; i < 20; i++) {
          await page.waitForTimeout(100);
          box = await id('visit-plan').boundingBox();
          if (box.y >= 0 && box.y + box.height <= keyboardUp.height - 120) break;
        }
        assert.ok(box.y >= 0 && box.y + box.height <= keyboardUp.height - 120,
          `the field typed is at ${Math.round(box.y)}–${Math.round(box.y + box.height)} of ${keyboardUp.height} px left above the keyboard`);
        await page.screenshot({ path: join(ARTIFACTS, 'screens', `${device.name}-${keyboardUp.width}x${keyboardUp.height}-visit-form-keyboard.png`) });
        await page.setViewportSize(device.sizes[0]);
      }
      // The save button is in reach without scrolling.
      assert.ok(await id('visit-save').isVisible());
      await press(id('visit-save'));
      await id('chart').waitFor();
      await id('visit').first().getByTestId('visit-vitals').getByText(/36\.6/).waitFor();
      await pointsOf('trend-temperature-temperature', 3);
    });

    await step('allergy, problem and medication forms: inline errors, then the chart shows them', async () => {
      await press(id('add-allergy'));
      await press(id('allergy-save'));
      await id('allergy-substance-error').waitFor();
      await screen('allergy-form');
      await enter(id('allergy-substance'), 'ペニシリン');
      await enter(id('allergy-reaction'), '発疹');
      await press(id('allergy-save'));
      await id('allergy-banner').getByText('ペニシリン').waitFor();
      assert.equal(await id('no-known-allergies').count(), 0);

      await press(id('add-condition'));
      await enter(id('condition-name'), '高血圧症');
      await enter(id('condition-icd10'), '10');
      assert.match(await id('condition-icd10-error').textContent(), /I10/);
      await screen('condition-form');
      await enter(id('condition-icd10'), 'I10');
      await press(id('condition-save'));
      await id('conditions').getByText('高血圧症').waitFor();

      await press(id('add-medication'));
      await enter(id('medication-name'), 'アムロジピン');
      await enter(id('medication-dose'), '5 mg');
      await enter(id('medication-frequency'), '1日1回 朝食後');
      await id('medication-start').fill('2026-05-01');
      await id('medication-end').fill('2026-04-01');
      await id('medication-end-error').waitFor();
      await screen('medication-form');
      assert.equal(await id('medication-name').inputValue(), 'アムロジピン');
      await id('medication-end').fill('');
      await press(id('medication-save'));
      await id('medications').getByText('アムロジピン').waitFor();
    });

    await step('wound photos: a JPEG with EXIF linked to its DESIGN-R, a second beside it, a file that is no picture refused', async () => {
      await press(id('nav-patients'));
      await press(id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }));
      // The DESIGN-R assessment, through the section's form: no wound named
      // is refused beside the field, then the items chosen one by one.
      await press(id('design-r-open'));
      await press(id('design-r-save'));
      assert.match(await id('design-r-wound-error').textContent(), /部位/);
      await enter(id('design-r-wound'), WOUND);
      await id('design-r-depth').selectOption('D3');
      await id('design-r-exudate').selectOption('3');
      await id('design-r-size').selectOption('6');
      await id('design-r-granulation').selectOption('3');
      await id('design-r-necrosis').selectOption('3');
      assert.match(await id('design-r-notation').textContent(), /^D3-e3s6i0g3N3p0:15$/);
      await screen('design-r-form');
      await press(id('design-r-save'));
      await id('design-r-open').waitFor();
      await id('photos-none').waitFor();
      const photos = () => id('photo-wound-row').filter({ hasText: WOUND }).getByTestId('photo');

      await enter(id('photo-wound'), WOUND);
      await id('photo-design-r').selectOption({ index: 1 });
      assert.match(await id('photo-design-r').locator('option:checked').textContent(), /D3-e3s6i0g3N3p0/);
      await id('photo-file').setInputFiles({ name: 'wound-1.jpg', mimeType: 'image/jpeg', buffer: await cameraJpeg(browser, 0) });
      await photos().first().locator('img').waitFor();
      assert.equal(await photos().count(), 1);
      assert.match(await photos().first().textContent(), /D3-e3s6i0g3N3p0/, 'linked to the assessment');

      // A second photo of the same wound, not linked: beside the first, after it.
      await id('photo-design-r').selectOption({ index: 0 });
      await id('photo-file').setInputFiles({ name: 'wound-2.jpg', mimeType: 'image/jpeg', buffer: await cameraJpeg(browser, 1) });
      await photos().nth(1).locator('img').waitFor();
      assert.equal(await photos().count(), 2);
      assert.match(await photos().nth(0).textContent(), /D3-e3s6i0g3N3p0/, 'oldest first');
      assert.doesNotMatch(await photos().nth(1).textContent(), /D3-/);
      const [first, second] = [await photos().nth(0).boundingBox(), await photos().nth(1).boundingBox()];
      assert.ok(Math.abs(first.y - second.y) < 1 && second.x > first.x, 'side by side, in one row');
      await screen('chart-photos');

      // A file that is no picture: told in words beside the picker (the
      // banner at the top is out of sight down here), nothing added.
      const notAPhoto = { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a photo at all') };
      await id('photo-file').setInputFiles(notAPhoto);
      assert.match(await id('photo-error').textContent(), /保存できる写真ではありません/);
      assert.ok(await id('photo-error').isVisible());
      assert.equal(await photos().count(), 2);
      await screen('chart-photo-refused');
      await press(id('nav-settings'));
      await press(id('language-en'));
      await press(id('nav-patients'));
      await press(id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }));
      await photos().nth(1).locator('img').waitFor();
      await id('photo-file').setInputFiles(notAPhoto);
      assert.match(await id('photo-error').textContent(), /not a photo Karte can keep/);
      assert.equal(await photos().count(), 2);
      // The next good photo clears the refusal.
      await enter(id('photo-wound'), WOUND);
      await id('photo-file').setInputFiles({ name: 'wound-3.jpg', mimeType: 'image/jpeg', buffer: await cameraJpeg(browser, 2) });
      await photos().nth(2).locator('img').waitFor();
      assert.equal(await id('photo-error').count(), 0);
      await press(id('nav-settings'));
      await press(id('language-ja'));
      await press(id('nav-patients'));
    });

    await step('switch to English and back', async () => {
      await press(id('nav-settings'));
      await screen('settings');
      await press(id('language-en'));
      assert.equal(await id('nav-patients').textContent(), 'Patients');
      await press(id('nav-patients'));
      await screen('patients-en');
      await press(id('patient-list').getByTestId('patient-row').first());
      await id('chart').waitFor();
      await screen('chart-en');
      if (!device.touch) {
        // The same chart at a laptop's full-HD size.
        await page.setViewportSize({ width: 1920, height: 1080 });
        await shot('chart-en-1920');
        await page.setViewportSize(device.sizes[0]);
      }
      await press(id('nav-settings'));
      await id('sync-bar').getByText('Last sync').waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await press(id('language-ja'));
      assert.equal(await id('nav-patients').textContent(), '利用者一覧');
    });

    await step('dates in the Japanese era and night mode: settings kept in the vault', async () => {
      await press(id('settings-era-true'));
      await id('settings-era-true').and(page.locator('[aria-pressed=true]')).waitFor();
      await press(id('settings-night-true'));
      await page.locator('html[data-theme=night]').waitFor({ state: 'attached' });
      await screen('settings-night');
      // A fresh start of the app: the settings come back from the vault on unlock.
      await press(id('lock'));
      await id('unlock').waitFor();
      // The lock screen is drawn before the core has the lock request;
      // leaving the page at once could cancel it. Wait for the core.
      const core = bridgeClient(url);
      for (let i = 0; i < 50 && (await core('session_state')).unlocked; i++) await page.waitForTimeout(100);
      assert.equal((await core('session_state')).unlocked, false, 'the core is locked');
      await page.goto('about:blank');
      await page.goto(url);
      await enter(id('unlock-passphrase'), PASSPHRASE);
      await press(id('unlock-submit'));
      await press(id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }));
      assert.equal(await id('chart-birth').textContent(), '昭和16年3月2日');
      await page.locator('html[data-theme=night]').waitFor({ state: 'attached' });
      await screen('chart-night');
      await press(id('nav-settings'));
      await press(id('settings-night-false'));
      await press(id('settings-era-false'));
      await page.locator('html:not([data-theme])').waitFor({ state: 'attached' });
      await press(id('nav-patients'));
    });

    await step('lock and unlock; a wrong passphrase is told in plain words', async () => {
      await press(id('lock'));
      await id('unlock').waitFor();
      assert.equal(await page.getByText(FAMILY).count(), 0, 'no patient on the lock screen');
      await enter(id('unlock-passphrase'), 'not the passphrase');
      // From the keyboard on a laptop: Enter sends the form.
      if (device.keyboard) await id('unlock-passphrase').press('Enter');
      else await press(id('unlock-submit'));
      assert.match(await id('unlock-passphrase-error').textContent(), /合言葉が違います/);
      await screen('unlock');
      await enter(id('unlock-passphrase'), PASSPHRASE);
      if (device.keyboard) await id('unlock-passphrase').press('Enter');
      else await press(id('unlock-submit'));
      await id('patients').waitFor();
      await id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }).waitFor();
    });

    await step('today\'s visits list the patient seen today', async () => {
      await id('todays-visits').getByTestId('patient-row').filter({ hasText: FAMILY }).waitFor();
      await screen('patients');
    });

    await step('when the core locks itself, the UI forgets the patients; a visit typed then is not lost', async () => {
      const core = bridgeClient(url);
      await press(id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }));
      await press(id('record-visit'));
      await enter(id('visit-objective'), '右膝の腫れ 軽度');
      await enter(id('visit-pulse'), '80');
      await page.waitForTimeout(1500);
      await core('lock');
      await press(id('visit-save'));
      await id('unlock').waitFor();
      assert.match(await id('lock-reason').textContent(), /安全のため/);
      assert.equal(await page.getByText(FAMILY).count(), 0, 'no patient on the lock screen');
      await enter(id('unlock-passphrase'), PASSPHRASE);
      await press(id('unlock-submit'));
      await press(id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }));
      await press(id('record-visit'));
      await id('draft-restored').waitFor();
      assert.equal(await id('visit-objective').inputValue(), '右膝の腫れ 軽度');
      assert.equal(await id('visit-pulse').inputValue(), '80');
      await screen('visit-form-restored');
      await press(id('visit-save'));
      await id('chart').waitFor();
      await page.getByTestId('visit-soap').getByText('右膝の腫れ 軽度').waitFor();
      await press(id('nav-patients'));
    });

    await step('a visit entered in error is struck out, not deleted, and leaves the trends', async () => {
      await press(id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }));
      await pointsOf('trend-pulse-pulse', 3);
      const newest = id('visit').first();
      await press(newest.getByTestId('void-open'));
      await press(newest.getByTestId('void-confirm'));
      await newest.getByTestId('void-reason-error').waitFor();
      await screen('void-entry');
      await enter(newest.getByTestId('void-reason'), '別の利用者の記録');
      await press(newest.getByTestId('void-confirm'));
      await id('visit').first().getByTestId('visit-voided').waitFor();
      assert.equal(await id('visit').count(), 4, 'nothing is deleted');
      await pointsOf('trend-pulse-pulse', 2);
      await press(id('nav-patients'));
    });

    await step('visit mode: today\'s route in order, the next patient\'s allergies and last vitals, big buttons', async () => {
      // A second patient, not visited yet, added through the bridge as the UI would.
      const core = bridgeClient(url);
      await core('add_patient', { patient: {
        family: SECOND_FAMILY, given: SECOND_GIVEN, family_kana: 'サトウ', given_kana: 'イチロウ',
        birth: '1938-07-15', sex: 'male', address: null, phone: null, insurance_number: null, care_level: null,
      } });
      await press(id('nav-visit-mode'));
      await id('route-empty').waitFor();
      await press(id('nav-patients'));
      for (const family of [FAMILY, SECOND_FAMILY]) {
        await press(id('patient-list').getByTestId('patient-row').filter({ hasText: family }));
        await press(id('add-to-route'));
        await id('add-to-route').and(page.locator(':disabled')).waitFor();
        await press(id('nav-patients'));
      }
      await press(id('nav-visit-mode'));
      await id('route-stop').nth(1).waitFor();
      assert.deepEqual((await id('route-stop').allTextContents()).map((t) => t.includes(FAMILY)), [true, false]);
      // 山田 was seen today, so the next visit is 佐藤's: no allergies asked yet, no vitals before.
      await id('route-stop').first().getByTestId('route-visited').waitFor();
      assert.match(await id('next-name').textContent(), new RegExp(SECOND_FAMILY));
      assert.match(await id('next-stop').getByTestId('allergy-banner').textContent(), /未確認/);
      await id('next-last-vitals').getByText('前回のバイタルの記録はありません').waitFor();
      // The route is reordered with a tap, and kept.
      await press(id('route-stop').nth(1).getByTestId('route-earlier'));
      await id('route-stop').first().getByText(SECOND_FAMILY).waitFor();
      await screen('visit-mode');
      await press(id('next-record'));
      await id('visit-form').waitFor();
      await press(id('visit-temp-up'));
      await press(id('visit-pulse-up'));
      await press(id('visit-save'));
      // Saved, the nurse is back in visit mode, ready for the next stop.
      await id('visit-mode').waitFor();
      await id('notice').waitFor();
      await id('route-done').waitFor();
      assert.equal(await id('route-visited').count(), 2);
      assert.match(await id('route-stop').first().textContent(), new RegExp(SECOND_FAMILY), 'the order was kept');
      await screen('visit-mode-done');
      await press(id('route-stop').first().getByTestId('route-remove'));
      await id('route-stop').nth(1).waitFor({ state: 'detached' });
      await press(id('nav-patients'));
    });

    await step('search finds the patient by kana as typed', async () => {
      await enter(id('patient-search'), 'ヤマ');
      await id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }).waitFor();
      await enter(id('patient-search'), 'すずき');
      await id('patients-empty').waitFor();
      await screen('search-empty');
      await id('patient-search').fill('');
      // Cleared, the search lists everyone again (the first rows of them).
      const everyone = (await bridgeClient(url)('patients', { search: '' })).length;
      assert.ok(everyone > 1, 'more than one patient to list');
      const rows = id('patient-list').getByTestId('patient-row');
      await rows.nth(Math.min(everyone, 20) - 1).waitFor();
      await rows.nth(Math.min(everyone, 20)).waitFor({ state: 'detached' });
    });

    await step('two devices edit the same field; the review shows both and is resolved', async () => {
      await press(id('sync-now'));
      await id('sync-pending').getByText('未送信 0件').waitFor();

      // The second device: a vault on the command line, enrolled and synced.
      const cliVault = join(dir, 'cli.karte');
      const cliEnv = { KARTE_PASSPHRASE: CLI_PASSPHRASE, KARTE_VAULT: cliVault };
      await karte(['init', '--name', 'suzuki'], cliEnv);
      await karte(['enrol', '--hub', hubUrl, '--code', cliCode, '--name', 'cli-laptop'], cliEnv);
      await karte(['sync'], cliEnv);

      // The nurse changes the phone number on her device, not synced yet.
      await press(id('patient-row').filter({ hasText: FAMILY }).first());
      await press(id('edit-patient'));
      await enter(id('patient-phone'), UI_PHONE);
      await press(id('patient-save'));
      await id('chart-phone').getByText(UI_PHONE).waitFor();

      // Meanwhile the other device changes the same field and syncs first.
      const patient = JSON.parse(await karte(['patient', 'list', '--json'], cliEnv)).find((p) => p.family === FAMILY);
      assert.ok(patient, `${FAMILY} reached the other device`);
      await karte(['patient', 'edit', patient.id, '--phone', CLI_PHONE], cliEnv);
      await karte(['sync'], cliEnv);

      // The nurse syncs: the chart shows both values with their authors.
      await press(id('sync-now'));
      await id('reviews').waitFor();
      const values = await id('review-value').allTextContents();
      assert.equal(values.length, 2, values.join(' | '));
      assert.ok(values.some((v) => v.includes(UI_PHONE) && v.includes('sato')), values.join(' | '));
      assert.ok(values.some((v) => v.includes(CLI_PHONE) && v.includes('suzuki')), values.join(' | '));
      await screen('review');
      const keep = await id('review-value').filter({ hasText: CLI_PHONE }).getByRole('button');
      await press(keep);
      await id('reviews').waitFor({ state: 'detached' });
      await id('notice').waitFor();
    });

    await step('disaster: register a casualty, triage by START then PAT with an override, the team\'s board after a sync', async () => {
      await press(id('nav-disaster'));
      await id('board-empty').waitFor();
      await screen('disaster-board-empty');

      // Registration: the tag typed, sex and age band tapped, then straight to triage.
      await press(id('register-casualty'));
      await press(id('casualty-save'));
      await id('casualty-tag-error').waitFor();
      await id('casualty-sex-error').waitFor();
      await id('age-band-error').waitFor();
      await screen('register-casualty');
      const began = Date.now();
      await enter(id('casualty-tag'), 'T-0101');
      await press(id('casualty-sex-male'));
      await press(id('casualty-age-60s'));
      await enter(id('casualty-found-at'), '体育館東側');
      await press(id('casualty-save'));
      await id('triage').waitFor();
      assert.ok(Date.now() - began < 30_000, 'registered in under 30 s');
      await id('chart-name').filter({ hasText: '身元不明 男性 60代 #T-0101' }).waitFor();

      // START, live: each tap moves the category the rules give, with why.
      const live = id('triage-live');
      const liveCategory = (code) => live.getByTestId('triage-category').and(page.locator(`[data-category=${code}]`));
      await id('triage-live-nothing').waitFor();
      await press(id('triage-walks-no'));
      await id('triage-live-needs').filter({ hasText: '呼吸（気道確保後）' }).waitFor();
      await press(id('triage-breathing-yes'));
      await press(id('triage-rr-up'));
      assert.equal(await id('triage-rr').inputValue(), '16', 'the stepper starts at the usual rate');
      await press(id('triage-radial-pulse-yes'));
      await press(id('triage-obeys-yes'));
      await liveCategory('yellow').waitFor();
      assert.equal(await live.getByTestId('triage-category').textContent(), '◆ 黄 II 非緊急治療群', 'a symbol, words and numeral, not colour alone');
      await enter(id('triage-rr'), '32');
      await liveCategory('red').waitFor();
      assert.match(await id('triage-reasons').textContent(), /呼吸数.*32/);
      await enter(id('triage-rr'), '18');
      await liveCategory('yellow').waitFor();
      if (device.touch) {
        // Issue 13: a field tapped gets a late look (after the on-screen
        // keyboard had time to come up) that brings it back into view. A
        // nurse who scrolls on to PAT at once must not have the page pulled
        // back to the field under her finger: her next tap would land on
        // whatever moved there, and be lost.
        await page.evaluate(() => document.activeElement?.blur());
        await press(id('triage-rr'));
        await id('triage-anatomy-pelvic-fracture').scrollIntoViewIfNeeded();
        const scrolled = await page.evaluate(() => window.scrollY);
        const rr = await id('triage-rr').boundingBox();
        assert.ok(rr.y + rr.height < 0, `the rate field was scrolled out of view (at ${Math.round(rr.y)})`);
        await page.waitForTimeout(700);
        assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the page stays where the nurse scrolled it');
      }
      // PAT's second stage: an anatomical finding makes the casualty red.
      await press(id('triage-anatomy-pelvic-fracture'));
      await liveCategory('red').waitFor();
      await id('triage-reasons').getByText(/PAT 解剖学的評価/).waitFor();
      assert.equal(await id('triage-live-summary').getByTestId('triage-category').getAttribute('data-category'), 'red');
      await screen('triage');
      // An override needs a reason.
      await press(id('triage-override-open'));
      await press(id('override-yellow'));
      await press(id('triage-save'));
      await id('triage-override-reason-error').waitFor();
      await screen('triage-override');
      await enter(id('triage-override-reason'), '骨盤の動揺は軽度');
      await press(id('triage-save'));
      await id('disaster-board').waitFor();
      await id('notice').waitFor();
      const row = (tag) => id('board-row').filter({ hasText: tag });
      assert.equal(await row('T-0101').getAttribute('data-category'), 'yellow');
      assert.equal(await id('board-count-yellow').getByTestId('count').textContent(), '1');

      // Another device of the team registers and triages a casualty 50
      // minutes ago (by the core's clock); after a sync the board has it,
      // red first, past the re-triage interval.
      const core = bridgeClient(url);
      const { now } = await core('session_state');
      const teamVault = join(dir, 'team.karte');
      const teamEnv = { KARTE_PASSPHRASE: CLI_PASSPHRASE, KARTE_VAULT: teamVault };
      await karte(['init', '--name', 'tanaka'], teamEnv);
      await karte(['enrol', '--hub', hubUrl, '--code', await invite(), '--name', 'team-tablet'], teamEnv);
      const other = await karte(['casualty', 'add', '--tag', 'T-0202', '--sex', 'female', '--age-band', '30s'], teamEnv);
      await karte(['triage', other, '--walks', 'no', '--breathing', 'yes', '--rr', '20', '--pulse', '130', '--obeys', 'yes',
        '--at', new Date(now - 50 * 60_000).toISOString()], teamEnv);
      await karte(['sync'], teamEnv);
      assert.equal(await row('T-0202').count(), 0);
      await press(id('sync-now'));
      await row('T-0202').waitFor();
      const order = [];
      for (let i = 0; i < await id('board-row').count(); i++) order.push(await id('board-row').nth(i).getAttribute('data-category'));
      assert.deepEqual(order, ['red', 'yellow'], 'red first');
      assert.equal(await row('T-0202').getAttribute('data-overdue'), 'true');
      await row('T-0202').getByTestId('board-overdue').waitFor();
      assert.equal(await row('T-0101').getAttribute('data-overdue'), 'false');
      await screen('disaster-board');
      // A longer interval: nobody is overdue.
      await press(id('board-interval-60'));
      await row('T-0202').and(page.locator('[data-overdue=false]')).waitFor();
      await press(id('board-interval-30'));
      await row('T-0202').and(page.locator('[data-overdue=true]')).waitFor();
      // In English: the same board and the triage screen, checked for their longer words.
      await press(id('nav-settings'));
      await press(id('language-en'));
      await press(id('nav-disaster'));
      await row('Unknown, female, 30s, #T-0202').getByTestId('board-overdue').filter({ hasText: 'Re-triage due' }).waitFor();
      await screen('disaster-board-en');
      await press(row('T-0202').getByTestId('board-retriage'));
      await id('triage').waitFor();
      await id('triage-previous').filter({ hasText: '▲ red I immediate' }).waitFor();
      await press(id('triage-override-open'));
      await screen('triage-en');
      await press(id('triage-cancel'));
      await id('disaster-board').waitFor();
      await press(id('nav-settings'));
      await press(id('language-ja'));
      await press(id('nav-disaster'));

      // The casualty's chart, from the board (by keyboard on a laptop): the tag, the triage and its override, transport.
      if (device.keyboard) {
        await row('T-0101').getByTestId('board-name').focus();
        await page.keyboard.press('Enter');
      } else {
        await press(row('T-0101').getByTestId('board-name'));
      }
      await id('casualty-card').waitFor();
      await id('casualty-card-override').filter({ hasText: '骨盤の動揺は軽度' }).waitFor();
      await press(id('transport-save'));
      await id('transport-error').waitFor();
      await enter(id('transport-agency-input'), '熊本市消防局');
      await enter(id('transport-destination-input'), '熊本赤十字病院');
      await press(id('transport-now'));
      await press(id('transport-save'));
      await id('transport-agency').filter({ hasText: '熊本市消防局' }).waitFor();
      assert.match(await id('transport-departed').textContent(), /^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/);
      await screen('casualty-chart');
      // Gone with the transport: off the waiting list, counted as transported.
      await press(id('nav-disaster'));
      await id('board-count-departed').getByTestId('count').filter({ hasText: /^1$/ }).waitFor();
      assert.equal(await row('T-0101').count(), 0);
      await press(id('nav-patients'));
    });

    await step('disaster: identity found later, a casualty linked to the known patient after a confirmation', async () => {
      // The known patients and two casualties nobody could name, added
      // through the bridge as the UI would.
      const core = bridgeClient(url);
      const known = (family, given, kana, birth, sex) => core('add_patient', { patient: {
        family, given, family_kana: kana[0], given_kana: kana[1], birth, sex,
        address: null, phone: null, insurance_number: null, care_level: null,
      } });
      await known(KNOWN_FAMILY, KNOWN_GIVEN, ['タカハシ', 'ヨシコ'], '1958-04-10', 'female');
      const other = await known(OTHER_FAMILY, OTHER_GIVEN, ['イトウ', 'ケン'], '1990-06-01', 'male');
      const casualty = (tag) => core('add_casualty', { input: {
        tag, sex: 'male', age_band: '60s', found_at: '体育館西側', found_latitude: null, found_longitude: null, features: null,
      } });
      await casualty('T-0303');
      const second = await casualty('T-0404');
      const openChart = async (tag) => {
        await press(id('nav-patients'));
        await enter(id('patient-search'), tag);
        await press(id('patient-list').getByTestId('patient-row').filter({ hasText: `#${tag}` }));
        await id('casualty-card').waitFor();
      };
      const pick = async () => {
        await press(id('identify-open'));
        await enter(id('identify-search'), 'たかはし');
        await press(id('identify-candidate').filter({ hasText: KNOWN_FAMILY }));
        await id('identify-confirmation').waitFor();
      };

      // Someone else linked T-0404 while the confirmation was open: the
      // refusal is told beside the button, in words.
      await openChart('T-0404');
      await pick();
      await core('identify', { casualty: second, known: other });
      await press(id('identify-confirm'));
      assert.match(await id('identify-error').textContent(), /すでに別の利用者として身元判明/);

      // T-0303: both identities side by side, then the link.
      await openChart('T-0303');
      assert.equal(await id('identify-panel').count(), 0, 'closed until asked');
      await pick();
      const seen = await id('identify-casualty').textContent();
      assert.match(seen, /身元不明 男性 60代 #T-0303/);
      assert.match(seen, /体育館西側/);
      const chosen = await id('identify-known').textContent();
      assert.match(chosen, new RegExp(`${KNOWN_FAMILY} ${KNOWN_GIVEN}`));
      assert.match(chosen, /女性/);
      assert.match(chosen, /1958年4月10日/);
      await screen('identify-confirm');
      await press(id('identify-confirm'));
      // The known patient's chart, holding the casualty's tag, and what the
      // two disagree on to review: the sex seen at registration.
      await id('chart-name').filter({ hasText: `${KNOWN_FAMILY} ${KNOWN_GIVEN}` }).waitFor();
      await id('notice').waitFor();
      await id('casualty-card-identified').waitFor();
      assert.equal(await id('casualty-card-tag').textContent(), 'T-0303');
      await id('reviews').waitFor();
      assert.equal(await id('review').count(), 1);
      assert.match(await id('review').textContent(), /登録時の性別と利用者の性別が異なります/);
      assert.deepEqual((await id('review-value-text').allTextContents()).sort(), ['女性', '男性']);
      assert.equal(await id('identify-open').count(), 0, 'a named chart has nothing to identify');
      await screen('chart-identified');
      await press(id('nav-patients'));
      await id('patient-search').fill('');
    });

    await step('disaster: the daily report counts each team\'s consultations and J-SPEED items', async () => {
      const core = bridgeClient(url);
      const { now } = await core('session_state');
      const today = new Date(now + 9 * 3600_000).toISOString().slice(0, 10);
      const at = now - 30 * 60_000;
      const list = await core('patients', { search: '' });
      const patient = (family) => list.find((p) => p.family === family);
      const [takahashi, ito] = [patient(KNOWN_FAMILY), patient(OTHER_FAMILY)];
      assert.ok(takahashi && ito, 'the identity step added both patients');
      const consult = (who, team, site, items) => core('record_consultation', { patient: who.id, input: {
        visit: { at, vitals: { temperature_c: 38.1 }, soap: {} },
        sheet: { team, site, items, pregnant: false, age_group: null },
      } });
      // The first two through the consultation screen, each from its
      // patient's chart: the team and site typed once, then kept.
      const consultFromChart = async (family) => {
        await press(id('nav-patients'));
        await enter(id('patient-search'), family);
        await press(id('patient-list').getByTestId('patient-row').filter({ hasText: family }));
        await press(id('record-consultation'));
        await id('consultation-form').waitFor();
      };
      await consultFromChart(KNOWN_FAMILY);
      assert.match(await id('consultation-chart-facts').textContent(), /女性.*65歳以上/);
      await press(id('consultation-save'));
      await id('consultation-jspeed-error').waitFor();
      assert.match(await id('consultation-jspeed-error').textContent(), /J-SPEED の項目を少なくとも1つ/);
      assert.match(await id('consultation-team-error').textContent(), /チーム名を入力/);
      await id('consultation-note-error').waitFor();
      await enter(id('consultation-team'), 'DMAT 熊本1');
      await enter(id('consultation-site'), SITE);
      await press(id('jspeed-fever'));
      await press(id('jspeed-hypertension'));
      await press(id('jspeed-insomnia'));
      await press(id('jspeed-insomnia'));
      assert.equal(await id('jspeed-fever').getAttribute('aria-pressed'), 'true');
      assert.equal(await id('jspeed-insomnia').getAttribute('aria-pressed'), 'false', 'a second tap unticks');
      assert.equal(await id('consultation-jspeed-error').count(), 0);
      await id('consultation-pregnant').waitFor();
      await enter(id('consultation-note'), CONSULT_NOTE);
      await screen('consultation');
      await press(id('consultation-save'));
      await id('chart').waitFor();
      await id('notice').waitFor();
      await consultFromChart(OTHER_FAMILY);
      assert.equal(await id('consultation-team').inputValue(), 'DMAT 熊本1');
      assert.equal(await id('consultation-site').inputValue(), SITE);
      assert.equal(await id('consultation-pregnant').count(), 0, 'not asked of a man');
      await press(id('jspeed-fever'));
      await press(id('jspeed-minor-injury'));
      await enter(id('consultation-note'), '右手の擦過傷を洗浄');
      await press(id('consultation-save'));
      await id('chart').waitFor();
      await press(id('nav-patients'));
      await id('patient-search').fill('');
      await consult(ito, 'JMAT 福岡2', SITE, 'insomnia');
      await consult(ito, 'JMAT 福岡2', '別の避難所', 'fever');

      await press(id('nav-disaster'));
      await press(id('open-daily-report'));
      await id('daily-report').waitFor();
      assert.equal(await id('report-date').inputValue(), today, 'today in Japan by the core\'s clock');
      await press(id('report-show'));
      await id('report-site-error').waitFor();
      await id('report-date').fill(today);
      await enter(id('report-site'), SITE);
      await press(id('report-show'));
      await id('report').waitFor();
      const team = (name) => page.locator(`[data-testid=report-team][data-team="${name}"]`);
      assert.equal(await id('report-team').count(), 2, 'the other site is not counted');
      const dmat = team('DMAT 熊本1');
      assert.equal(await dmat.getByTestId('report-consultations').textContent(), '2');
      // Sex by age group (under 1, 1–4, 5–64, 65+, total).
      assert.deepEqual(await dmat.getByTestId('report-male').locator('td').allTextContents(), ['0', '0', '1', '0', '1']);
      assert.deepEqual(await dmat.getByTestId('report-female').locator('td').allTextContents(), ['0', '0', '0', '1', '1']);
      const count = (t, code) => t.locator(`[data-testid=report-item][data-code="${code}"]`).getByTestId('report-item-count').textContent();
      assert.equal(await count(dmat, 'fever'), '2');
      assert.equal(await count(dmat, 'hypertension'), '1');
      assert.equal(await count(dmat, 'minor-injury'), '1');
      assert.equal(await dmat.getByTestId('report-item').count(), 3);
      assert.match(await dmat.locator('[data-testid=report-item][data-code=fever]').textContent(), /発熱（37\.5℃以上）/);
      const jmat = team('JMAT 福岡2');
      assert.equal(await jmat.getByTestId('report-consultations').textContent(), '1');
      assert.equal(await count(jmat, 'insomnia'), '1');
      assert.equal(await jmat.getByTestId('report-item').count(), 1);
      // The CSV is the core's MDS CSV: a row per team with its consultations.
      const csv = decodeURIComponent((await id('report-csv').getAttribute('href')).split(',').slice(1).join(','));
      const rows = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
      assert.equal(rows.length, 3);
      assert.ok(rows[1].startsWith(`${today},${SITE},DMAT 熊本1,2,`), rows[1]);
      assert.ok(rows[2].startsWith(`${today},${SITE},JMAT 福岡2,1,`), rows[2]);
      assert.equal(await id('report-csv').getAttribute('download'), `jspeed-mds-${today}.csv`);
      // Printed, the report stands alone.
      await page.emulateMedia({ media: 'print' });
      assert.ok(await id('report').isVisible());
      assert.ok(!(await id('nav-patients').isVisible()) && !(await id('report-print').isVisible()));
      await page.emulateMedia({ media: 'screen' });
      await screen('daily-report');
      await press(id('nav-settings'));
      await press(id('language-en'));
      await press(id('nav-disaster'));
      await press(id('open-daily-report'));
      await enter(id('report-site'), SITE);
      await press(id('report-show'));
      assert.match(await team('DMAT 熊本1').locator('[data-testid=report-item][data-code=fever]').textContent(), /fever \(37\.5 °C or over\)/);
      await screen('daily-report-en');
      await press(id('nav-settings'));
      await press(id('language-ja'));
      await press(id('nav-patients'));
    });

    await step('carry charts: a bundle made here, imported on a device out of the hub\'s reach, again (nothing to do), and a damaged one refused', async () => {
      const core = bridgeClient(url);
      // The other device: a vault made on the command line, with a clerk,
      // enrolled and synced once through a relay that then closes: from
      // then on the hub is out of its reach.
      const carryVault = join(dir, 'carry.karte');
      const carryEnv = { KARTE_PASSPHRASE: CLI_PASSPHRASE, KARTE_VAULT: carryVault };
      await karte(['init', '--name', 'kato'], carryEnv);
      await karte(['user', 'add', 'mori', '--role', 'clerk'], { ...carryEnv, KARTE_USER: 'kato', KARTE_NEW_PASSPHRASE: CLERK_PASSPHRASE });
      await core('sync');
      const relay = await tcpRelay(hubPort);
      await karte(['enrol', '--hub', `http://127.0.0.1:${relay.port}`, '--code', await invite(), '--name', 'carry-tablet'], { ...carryEnv, KARTE_USER: 'kato' });
      await karte(['sync'], { ...carryEnv, KARTE_USER: 'kato' });
      await relay.close();
      // This device learns of the other at its next sync; a chart added
      // after that reaches the other only on the file.
      await core('sync');
      await core('add_patient', { patient: {
        family: CARRIED_FAMILY, given: CARRIED_GIVEN, family_kana: 'コバヤシ', given_kana: 'カズコ', birth: '1936-02-11', sex: 'female',
        address: null, phone: null, insurance_number: null, care_level: null,
      } });

      // Export: every chart, for the organisation's devices, saved as a file.
      await press(id('carry-open'));
      await id('carry').waitFor();
      await id('carry-org').getByText('ひまわり訪問看護').waitFor();
      assert.equal(await id('carry-whole').getAttribute('aria-pressed'), 'true');
      await press(id('carry-export-make'));
      const made = await id('carry-made-summary').textContent();
      const [, charts, devices] = made.match(/^全カルテ (\d+)件（変更 \d+件）を (\d+)台の端末あてに作りました/) ?? [];
      assert.ok(Number(charts) >= 1 && Number(devices) >= 2, made);
      await screen('carry');
      const [download] = await Promise.all([page.waitForEvent('download'), press(id('carry-save'))]);
      assert.match(download.suggestedFilename(), /^karte-\d{8}-\d{4}\.kbn$/);
      const bundle = join(dir, 'carried.kbn');
      await download.saveAs(bundle);
      const damaged = readFileSync(bundle);
      damaged[Math.floor(damaged.length / 2)] ^= 0x5a;
      writeFileSync(join(dir, 'damaged.kbn'), damaged);
      await press(id('nav-patients'));

      // The other device's app: its clerk may not carry charts, and is told why.
      const { line: carryUrl } = await start(['ui', 'serve', '--vault', carryVault, '--ui-dist', DIST]);
      const other = await browser.newPage();
      other.on('pageerror', (e) => pageErrors.push(String(e)));
      other.setDefaultTimeout(15_000);
      const on = (name) => other.getByTestId(name);
      const otherScreen = screens(other, device, join(ARTIFACTS, 'screens')).check;
      const unlockAs = async (user, passphrase) => {
        await on('unlock').waitFor();
        await on('unlock-user').selectOption(user);
        await enter(on('unlock-passphrase'), passphrase);
        await press(on('unlock-submit'));
        await on('patients').waitFor();
      };
      await other.goto(carryUrl);
      await unlockAs('mori', CLERK_PASSPHRASE);
      await press(on('carry-open'));
      await on('carry-export').getByTestId('carry-blocked').getByText('この役割ではカルテを持ち出せません').waitFor();
      assert.ok(await on('carry-export-make').isDisabled() && await on('carry-import-file').isDisabled());
      await otherScreen('carry-clerk');
      await press(on('lock'));
      await unlockAs('kato', CLI_PASSPHRASE);
      // The rows the list shows, once it has the core's answer.
      const rows = (await bridgeClient(carryUrl)('patients', { search: '' })).length;
      const listShows = async (count) => {
        let shown = -1;
        for (let i = 0; i < 100 && shown !== count; i++) {
          shown = await on('patient-list').getByTestId('patient-row').count();
          if (shown !== count) await other.waitForTimeout(100);
        }
        assert.equal(shown, count, 'rows in the patient list');
      };
      await listShows(rows);
      assert.equal(await on('patient-list').getByTestId('patient-row').filter({ hasText: CARRIED_FAMILY }).count(), 0, 'not on the other device before the file');

      // A damaged file first: refused in words beside the picker, in
      // Japanese and English, and nothing changes. (A damaged copy of a
      // bundle taken in already would only be "nothing to do": its id is
      // read before anything else.)
      await press(on('carry-open'));
      await on('carry-import-file').setInputFiles(join(dir, 'damaged.kbn'));
      assert.match(await on('carry-import-error').textContent(), /何も取り込んでいません/);
      await otherScreen('carry-refused');
      await press(on('nav-settings'));
      await press(on('language-en'));
      await press(on('carry-open'));
      await on('carry-import-file').setInputFiles(join(dir, 'damaged.kbn'));
      assert.match(await on('carry-import-error').textContent(), /Nothing was imported/);
      await otherScreen('carry-refused-en');
      await press(on('nav-settings'));
      await press(on('language-ja'));
      await press(on('nav-patients'));
      await listShows(rows);

      // The bundle: what it brought, then the chart in the list.
      await press(on('carry-open'));
      await on('carry-import-file').setInputFiles(bundle);
      const imported = await on('carry-imported').textContent();
      assert.match(imported, /^取り込みました：カルテ \d+件（新規 1件）、新しい変更 \d+件、要確認 0件。$/);
      await otherScreen('carry-imported');
      await press(on('nav-patients'));
      await on('patient-list').getByTestId('patient-row').filter({ hasText: `${CARRIED_FAMILY} ${CARRIED_GIVEN}` }).waitFor();
      await listShows(rows + 1);

      // The same file again: nothing to do, told as information.
      await press(on('carry-open'));
      await on('carry-import-file').setInputFiles(bundle);
      await on('carry-import-nothing').getByText('取り込み済みです。何もする必要はありません').waitFor();
      assert.equal(await on('carry-import-error').count(), 0);
      await press(on('nav-patients'));
      await listShows(rows + 1);
      await other.close();
    });

    await step('nearby devices: a chart from a device listening on the same network, synced by its typed address', async () => {
      const core = bridgeClient(url);
      // The other device: a vault made on the command line, enrolled and
      // synced once through a relay that then closes, with a chart of its
      // own written after that; it listens on loopback for one session.
      const nearbyVault = join(dir, 'nearby.karte');
      const nearbyEnv = { KARTE_PASSPHRASE: CLI_PASSPHRASE, KARTE_VAULT: nearbyVault, KARTE_USER: 'ono' };
      await karte(['init', '--name', 'ono'], { KARTE_PASSPHRASE: CLI_PASSPHRASE, KARTE_VAULT: nearbyVault });
      await core('sync');
      const relay = await tcpRelay(hubPort);
      await karte(['enrol', '--hub', `http://127.0.0.1:${relay.port}`, '--code', await invite(), '--name', 'nearby-tablet'], nearbyEnv);
      await karte(['sync'], nearbyEnv);
      await relay.close();
      // This device learns of the other at its next sync.
      await core('sync');
      await karte(['patient', 'add', '--family', NEARBY_FAMILY, '--given', NEARBY_GIVEN, '--family-kana', 'ノムラ',
        '--given-kana', 'サチコ', '--birth', '1941-06-03', '--sex', 'female'], nearbyEnv);
      const serving = spawn(KARTE, ['peer', 'serve', '--listen', '127.0.0.1:0', '--once', '--no-advertise'],
        { env: { ...process.env, ...nearbyEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(serving);
      let served = '';
      serving.stdout.on('data', (d) => { served += d; });
      const ended = new Promise((resolve) => serving.once('exit', resolve));
      const address = await new Promise((resolve, reject) => {
        const lines = createInterface({ input: serving.stderr });
        lines.on('line', (line) => {
          const found = line.match(/waiting for nearby devices on (\S+)/);
          if (found) resolve(found[1]);
        });
        serving.once('exit', (code) => reject(new Error(`karte peer serve exited ${code}`)));
      });
      assert.equal(await id('patient-list').getByTestId('patient-row').filter({ hasText: NEARBY_FAMILY }).count(), 0, 'not here before the exchange');

      await press(id('nearby-open'));
      await id('nearby').waitFor();
      await id('nearby-last-none').waitFor();
      assert.ok(await id('nearby-address-sync').isDisabled(), 'nothing typed, nothing to sync with');
      await enter(id('nearby-address'), address);
      await press(id('nearby-address-sync'));
      const said = await id('nearby-exchanged').textContent();
      assert.match(said, /^同期しました。受信：カルテ 1件（変更 \d+件）。送信：カルテ \d+件（変更 \d+件）。$/);
      assert.equal(await id('nearby-refused').count(), 0);
      await id('nearby-last-exchange').first().waitFor();
      assert.equal(await id('nearby-last-exchange').count(), 1);
      await screen('nearby');
      assert.equal(await ended, 0, 'the other device served one session');
      assert.match(served, /受信 \d+ 件/);

      // This device made reachable: the other dials it (on loopback, at
      // the port shown) and its next chart arrives here.
      await press(id('nearby-listen'));
      const listening = await id('nearby-listening').textContent();
      const port = listening.match(/:(\d+)/)?.[1];
      assert.ok(port, listening);
      assert.equal(await id('nearby-listen').getAttribute('aria-pressed'), 'true');
      await karte(['patient', 'add', '--family', NEARBY_FAMILY, '--given', LATER_GIVEN, '--family-kana', 'ノムラ',
        '--given-kana', 'ハルコ', '--birth', '1943-09-21', '--sex', 'female'], nearbyEnv);
      const dialled = JSON.parse(await karte(['peer', 'sync', `127.0.0.1:${port}`, '--json'], nearbyEnv));
      assert.equal(dialled.sent_charts, 1, JSON.stringify(dialled));
      // Its last exchange list follows: the other device dialled this one.
      await id('nearby-last-exchange').getByText(/から同期されました/).waitFor();
      assert.equal(await id('nearby-last-exchange').count(), 1, 'one line per device');
      await screen('nearby-listening');
      await press(id('nearby-listen'));
      await id('nearby-listening').waitFor({ state: 'detached' });

      // English, and a device that cannot be reached, in words.
      await press(id('nav-settings'));
      await press(id('language-en'));
      await press(id('nearby-open'));
      await id('nearby-last-exchange').getByText(/^Device .* synced with this one/).waitFor();
      await enter(id('nearby-address'), address);
      await press(id('nearby-address-sync'));
      assert.match(await id('nearby-sync-error').textContent(), /cannot be reached/);
      await screen('nearby-en');
      await press(id('nav-settings'));
      await press(id('language-ja'));

      await press(id('nav-patients'));
      await id('patient-list').getByTestId('patient-row').filter({ hasText: `${NEARBY_FAMILY} ${NEARBY_GIVEN}` }).waitFor();
      await id('patient-list').getByTestId('patient-row').filter({ hasText: `${NEARBY_FAMILY} ${LATER_GIVEN}` }).waitFor();
    });

    await step('documents: the month\'s 報告書 prefilled from the chart, edited, previewed, made into a PDF and saved', async () => {
      // A patient with visits in a fixed past month (November 2026), so the
      // report is the same whatever day the test runs.
      const core = bridgeClient(url);
      const patient = await core('add_patient', { patient: {
        family: DOC_FAMILY, given: DOC_GIVEN, family_kana: 'ナカムラ', given_kana: 'セツコ',
        birth: '1936-02-20', sex: 'female', address: '熊本県熊本市1-2-3', phone: null, insurance_number: null, care_level: 'care3',
      } });
      const visitAt = async (iso, assessment) => core('record_visit', { patient, input: {
        at: Date.parse(iso), vitals: { pulse: 72 }, soap: { assessment },
      } });
      await visitAt('2026-11-03T10:00:00+09:00', '褥瘡は縮小');
      await visitAt('2026-11-12T09:00:00+09:00', '朝は息切れ');
      await visitAt('2026-11-12T15:00:00+09:00', '夕方は安定');
      await visitAt('2026-12-01T10:00:00+09:00', '翌月の訪問');

      await press(id('nav-patients'));
      await enter(id('patient-search'), DOC_FAMILY);
      await press(id('patient-list').getByTestId('patient-row').filter({ hasText: DOC_FAMILY }));
      await press(id('documents-open'));
      await id('document-choice').waitFor();
      assert.equal(await id('document-kind').inputValue(), 'report', 'the 報告書 is offered first');
      await enter(id('document-month'), '2026-11');
      await press(id('document-make'));
      await id('document-form').waitFor();
      // Prefilled: the course from the month's assessments, in order.
      assert.equal(await id('document-course').inputValue(), '11/3 褥瘡は縮小\n11/12 朝は息切れ\n11/12 夕方は安定');
      assert.equal(await id('document-care_given').inputValue(), '');
      await enter(id('document-care_given'), DOC_CARE);
      await enter(id('document-station'), 'ひまわり訪問看護ステーション');
      await screen('documents');
      await press(id('document-preview-button'));
      await id('document-preview').waitFor();
      assert.equal(await id('document-preview-care_given').textContent(), DOC_CARE, 'the preview shows the edited text');
      assert.match(await id('document-preview-course').textContent(), /11\/3 褥瘡は縮小/);
      assert.match(await id('document-preview-when').textContent(), /2026年11月/);
      const marks = await id('document-calendar').getByTestId('document-day').allTextContents();
      assert.equal(marks.length, 30);
      assert.equal(marks[2], '3○');
      assert.equal(marks[11], '12◎');
      assert.equal(marks.filter((m) => /[○◎]/.test(m)).length, 2, 'December\'s visit is left out');
      await screen('documents-preview');
      // Printing shows the preview and leaves the form and the app out.
      await page.emulateMedia({ media: 'print' });
      assert.ok(await id('document-preview').isVisible());
      assert.ok(!(await id('document-form').isVisible()));
      assert.ok(!(await id('document-choice').isVisible()));
      await page.emulateMedia({ media: 'screen' });

      const reportExports = async () => (await core('audit_log', { patient }))
        .filter((e) => e.event.action.kind === 'export' && e.event.action.format === 'pdf-report').length;
      assert.equal(await reportExports(), 0, 'a draft and its preview export nothing');
      await press(id('document-pdf'));
      await id('document-pdf-view').waitFor();
      assert.match(await id('document-pdf-frame').getAttribute('src'), /^blob:/);
      const [download] = await Promise.all([page.waitForEvent('download'), press(id('document-save'))]);
      assert.equal(download.suggestedFilename(), 'report-2026-11.pdf');
      const saved = join(dir, 'report.pdf');
      await download.saveAs(saved);
      assert.equal(readFileSync(saved).subarray(0, 5).toString(), '%PDF-');
      assert.equal(await reportExports(), 1, 'the PDF is audited as an export');
      // An edit after the PDF drops it: what is saved is what is shown.
      await enter(id('document-notes'), '次回は家族同席');
      await id('document-pdf-view').waitFor({ state: 'detached' });
      // The edits are kept sealed in the vault a moment after the last
      // keystroke (asked of the core until they are there): leaving and
      // coming back finds them.
      for (let tries = 0; ; tries++) {
        const kept = await core('draft', { key: `document-${patient}` });
        if (kept?.text.includes('次回は家族同席')) break;
        assert.ok(tries < 100, 'the edit is kept in the vault within 10 s');
        await page.waitForTimeout(100);
      }
      await press(id('document-back'));
      await id('chart').waitFor();
      await press(id('documents-open'));
      await id('document-restored').waitFor();
      assert.equal(await id('document-care_given').inputValue(), DOC_CARE);
      assert.equal(await id('document-notes').inputValue(), '次回は家族同席');
      assert.equal(await id('document-month').inputValue(), '2026-11');
      // Making the same month again keeps them; starting again drops them.
      await press(id('document-make'));
      await id('document-restored').waitFor();
      assert.equal(await id('document-notes').inputValue(), '次回は家族同席');
      await press(id('document-restart'));
      await id('document-restored').waitFor({ state: 'detached' });
      assert.equal(await id('document-care_given').inputValue(), '');
      assert.equal(await id('document-course').inputValue(), '11/3 褥瘡は縮小\n11/12 朝は息切れ\n11/12 夕方は安定');
      // Saved in the chart: listed there with who saved it, not approved;
      // the one who saved it is offered no approval of it.
      await enter(id('document-care_given'), DOC_CARE);
      await press(id('document-save-entry'));
      await page.getByText('書類をカルテに保存しました').waitFor();
      assert.equal(await id('document-save-entry').textContent(), 'カルテの書類を更新');
      await press(id('document-back'));
      await id('chart').waitFor();
      const listed = id('chart-documents').getByTestId('chart-document');
      await listed.first().waitFor();
      assert.equal(await listed.count(), 1);
      assert.match(await listed.first().textContent(), /訪問看護報告書（月）\s*2026-11/);
      assert.equal(await listed.first().getByTestId('chart-document-status').textContent(), '未承認');
      assert.equal(await id('chart-documents').getByTestId('document-approve').count(), 0);
      await screen('chart-documents');
      const [entry] = (await core('chart', { patient })).documents;
      assert.equal(JSON.parse(entry.draft).care_given, DOC_CARE, 'the chart keeps the edited draft');
    });

    await page.screenshot({ path: join(ARTIFACTS, `karte-ui-${device.name}.png`), fullPage: false });

    await step('the sync bar follows the connection', async () => {
      await browser.setOffline(true);
      await id('sync-state').getByText('オフライン').waitFor();
      assert.ok(await id('sync-now').isDisabled());
      await browser.setOffline(false);
      await id('sync-state').getByText('オンライン').waitFor();
    });

    await step('auto-lock after the idle time set in the settings', async () => {
      await press(id('nav-settings'));
      await enter(id('settings-auto-lock'), '0');
      assert.match(await id('settings-auto-lock-error').textContent(), /1〜60/);
      await enter(id('settings-auto-lock'), '1');
      await press(id('settings-save'));
      await id('notice').waitFor();
      await press(id('nav-patients'));
      await id('unlock').waitFor({ timeout: 90_000 });
      assert.match(await id('lock-reason').textContent(), /自動でロック/);
      assert.equal(await page.getByText(FAMILY).count(), 0);
    });
    assert.deepEqual(pageErrors, [], 'no script errors in the page');
  } catch (error) {
    await shot('failure').catch(() => {});
    throw error;
  }

  await t.test('no patient data in the browser profile after the session', async () => {
    await browser.close();
    browser = undefined;
    bridge.kill('SIGTERM');
    const needles = [FAMILY + ' ' + GIVEN, FAMILY, GIVEN, SECOND_FAMILY, SECOND_GIVEN, NOTE, '右膝の腫れ', UI_PHONE, CLI_PHONE, KNOWN_FAMILY + ' ' + KNOWN_GIVEN, CONSULT_NOTE, CARRIED_FAMILY + ' ' + CARRIED_GIVEN];
    const encodings = (s) => [Buffer.from(s, 'utf8'), Buffer.from(s, 'utf16le')];
    const found = [];
    for (const file of files(profile)) {
      const bytes = readFileSync(file);
      for (const needle of needles) {
        if (encodings(needle).some((b) => bytes.includes(b))) found.push(`${needle} in ${file}`);
      }
    }
    assert.deepEqual(found, []);
    rmSync(dir, { recursive: true, force: true });
  });
}
