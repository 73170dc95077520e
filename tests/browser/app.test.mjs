// The Karte UI in Debian's Chromium, against a real bridge (`karte ui serve`)
// and a real hub, with a second device on the command line for a conflict.
//
// Env: KARTE_BIN (the karte binary), KARTE_HUB_BIN (the karte-hub binary),
// KARTE_UI_DIST (the built UI, see ui/build.sh), KARTE_ARTIFACTS (where the screenshot goes; default /tmp),
// CHROMIUM (default /usr/bin/chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const KARTE = process.env.KARTE_BIN;
const HUB = process.env.KARTE_HUB_BIN;
const DIST = process.env.KARTE_UI_DIST;
const ARTIFACTS = process.env.KARTE_ARTIFACTS || '/tmp';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

const PASSPHRASE = 'correct horse battery staple';
const CLI_PASSPHRASE = 'another long passphrase 42';
// Patient data that must never reach the browser's storage.
const FAMILY = '山田';
const GIVEN = '花子';
const NOTE = 'ひざの痛みは軽くなったと話す';
const UI_PHONE = '090-5555-6666';
const CLI_PHONE = '090-3333-4444';

const children = [];

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

test('a nurse uses Karte in the browser: first run to a resolved conflict', { timeout: 600_000 }, async (t) => {
  assert.ok(KARTE, 'set KARTE_BIN to the karte binary');
  assert.ok(HUB, 'set KARTE_HUB_BIN to the karte-hub binary');
  assert.ok(DIST, 'set KARTE_UI_DIST to the built UI (ui/build.sh DIR)');
  const dir = mkdtempSync(join(tmpdir(), 'karte-browser-'));
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
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.setDefaultTimeout(15_000);
  const id = (name) => page.getByTestId(name);
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
  const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `karte-ui-${name}.png`), fullPage: true });

  try {
    await t.test('first run: create the vault, with strength feedback and inline errors', async () => {
      await page.goto(url);
      await id('first-run').waitFor();
      await id('create-user').fill('sato');
      await id('create-passphrase').fill('short');
      await assert.doesNotReject(id('passphrase-strength').getByText('短すぎます').waitFor());
      await id('create-passphrase').fill(PASSPHRASE);
      await id('create-confirm').fill('correct horse battery stapler');
      await id('create-submit').click();
      await id('create-confirm-error').waitFor();
      await shot('first-run');
      assert.equal(await id('create-confirm').inputValue(), 'correct horse battery stapler', 'typed text is kept');
      await id('create-confirm').fill(PASSPHRASE);
      await id('create-submit').click();
      await id('enrol-step').waitFor();
    });

    await t.test('enrol with the hub through the UI', async () => {
      await id('enrol-hub-url').fill('hub.example');
      await id('enrol-code').fill(uiCode);
      await id('enrol-device-name').fill('tablet-1');
      await id('enrol-submit').click();
      const error = await id('enrol-hub-url-error').textContent();
      assert.match(error, /http:\/\//);
      assert.equal(await id('enrol-hub-url').inputValue(), 'hub.example');
      await id('enrol-hub-url').fill(hubUrl);
      await id('enrol-submit').click();
      await id('patients').waitFor();
      await id('sync-bar').getByText('最終同期').waitFor();
    });

    await t.test('add a patient, with a bad kana reading caught as typed', async () => {
      await id('add-patient').click();
      await id('patient-family').fill(FAMILY);
      await id('patient-given').fill(GIVEN);
      await id('patient-family-kana').fill('やまだ');
      await id('patient-given-kana').fill('Hanako');
      const error = await id('patient-given-kana-error').textContent();
      assert.match(error, /カタカナかひらがな/);
      assert.equal(await id('patient-given-kana').inputValue(), 'Hanako');
      await id('patient-given-kana').fill('はなこ');
      await id('patient-birth').fill('1941-03-02');
      await id('patient-phone').fill('090-1111-2222');
      await id('patient-save').click();
      await id('chart').waitFor();
      assert.equal(await id('chart-name').textContent(), `${FAMILY} ${GIVEN}`);
      assert.match(await id('allergy-banner').textContent(), /未確認/);
    });

    await t.test('record a visit: validated as typed, the draft survives leaving the form', async () => {
      await id('record-visit').click();
      await id('visit-temp').fill('3.68');
      assert.match(await id('visit-temp-error').textContent(), /30〜45/);
      await shot('visit-form');
      assert.equal(await id('visit-temp').inputValue(), '3.68');
      await id('visit-temp').fill('36.8');
      await id('visit-temp-error').waitFor({ state: 'detached' });
      await id('visit-bp').fill('132/84');
      await id('visit-pulse').fill('72');
      await id('visit-spo2').fill('97');
      await id('visit-subjective').fill(NOTE);
      await page.waitForTimeout(1500); // the draft is written a moment after the last keystroke
      await id('visit-cancel').click();
      await id('chart').waitFor();
      await id('record-visit').click();
      await id('draft-restored').waitFor();
      assert.equal(await id('visit-subjective').inputValue(), NOTE);
      assert.equal(await id('visit-bp').inputValue(), '132/84');
      await id('visit-save').click();
      await id('chart').waitFor();
      await page.getByTestId('visit-soap').getByText(NOTE).waitFor();
      const points = await id('trend-temperature-temperature').getAttribute('points');
      assert.equal(points.trim().split(/\s+/).length, 1);

      await id('record-visit').click();
      assert.equal(await id('visit-subjective').inputValue(), '', 'the saved draft was discarded');
      await id('visit-temp').fill('37.2');
      await id('visit-bp').fill('128/80');
      await id('visit-save').click();
      await id('chart').waitFor();
      await pointsOf('trend-temperature-temperature', 2);
      const bp = await id('trend-bp-systolic').getAttribute('points');
      assert.equal(bp.trim().split(/\s+/).length, 2);
    });

    await t.test('allergy, problem and medication forms: inline errors, then the chart shows them', async () => {
      await id('add-allergy').click();
      await id('allergy-save').click();
      await id('allergy-substance-error').waitFor();
      await id('allergy-substance').fill('ペニシリン');
      await id('allergy-reaction').fill('発疹');
      await id('allergy-save').click();
      await id('allergy-banner').getByText('ペニシリン').waitFor();
      assert.equal(await id('no-known-allergies').count(), 0);

      await id('add-condition').click();
      await id('condition-name').fill('高血圧症');
      await id('condition-icd10').fill('10');
      assert.match(await id('condition-icd10-error').textContent(), /I10/);
      await id('condition-icd10').fill('I10');
      await id('condition-save').click();
      await id('conditions').getByText('高血圧症').waitFor();

      await id('add-medication').click();
      await id('medication-name').fill('アムロジピン');
      await id('medication-dose').fill('5 mg');
      await id('medication-frequency').fill('1日1回 朝食後');
      await id('medication-start').fill('2026-05-01');
      await id('medication-end').fill('2026-04-01');
      await id('medication-end-error').waitFor();
      assert.equal(await id('medication-name').inputValue(), 'アムロジピン');
      await id('medication-end').fill('');
      await id('medication-save').click();
      await id('medications').getByText('アムロジピン').waitFor();
    });

    await t.test('switch to English and back', async () => {
      await id('nav-settings').click();
      await id('language-en').click();
      assert.equal(await id('nav-patients').textContent(), 'Patients');
      // The same screens at a laptop's full-HD size, in English.
      await page.setViewportSize({ width: 1920, height: 1080 });
      await id('nav-patients').click();
      await id('patient-list').getByTestId('patient-row').first().click();
      await id('chart').waitFor();
      await shot('chart-en-1920');
      await page.setViewportSize({ width: 1280, height: 800 });
      await id('nav-settings').click();
      await id('sync-bar').getByText('Last sync').waitFor();
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      await id('language-ja').click();
      assert.equal(await id('nav-patients').textContent(), '利用者一覧');
    });

    await t.test('lock and unlock; a wrong passphrase is told in plain words', async () => {
      await id('lock').click();
      await id('unlock').waitFor();
      assert.equal(await page.getByText(FAMILY).count(), 0, 'no patient on the lock screen');
      await id('unlock-passphrase').fill('not the passphrase');
      await id('unlock-submit').click();
      assert.match(await id('unlock-passphrase-error').textContent(), /合言葉が違います/);
      await id('unlock-passphrase').fill(PASSPHRASE);
      await id('unlock-submit').click();
      await id('patients').waitFor();
      await id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }).waitFor();
    });

    await t.test('today\'s visits list the patient seen today', async () => {
      await id('todays-visits').getByTestId('patient-row').filter({ hasText: FAMILY }).waitFor();
    });

    await t.test('when the core locks itself, the UI forgets the patients; a visit typed then is not lost', async () => {
      const core = bridgeClient(url);
      await id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }).click();
      await id('record-visit').click();
      await id('visit-objective').fill('右膝の腫れ 軽度');
      await id('visit-pulse').fill('80');
      await page.waitForTimeout(1500);
      await core('lock');
      await id('visit-save').click();
      await id('unlock').waitFor();
      assert.match(await id('lock-reason').textContent(), /安全のため/);
      assert.equal(await page.getByText(FAMILY).count(), 0, 'no patient on the lock screen');
      await id('unlock-passphrase').fill(PASSPHRASE);
      await id('unlock-submit').click();
      await id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }).click();
      await id('record-visit').click();
      await id('draft-restored').waitFor();
      assert.equal(await id('visit-objective').inputValue(), '右膝の腫れ 軽度');
      assert.equal(await id('visit-pulse').inputValue(), '80');
      await id('visit-save').click();
      await id('chart').waitFor();
      await page.getByTestId('visit-soap').getByText('右膝の腫れ 軽度').waitFor();
      await id('nav-patients').click();
    });

    await t.test('a visit entered in error is struck out, not deleted, and leaves the trends', async () => {
      await id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }).click();
      await pointsOf('trend-pulse-pulse', 2);
      const newest = id('visit').first();
      await newest.getByTestId('void-open').click();
      await newest.getByTestId('void-confirm').click();
      await newest.getByTestId('void-reason-error').waitFor();
      await newest.getByTestId('void-reason').fill('別の利用者の記録');
      await newest.getByTestId('void-confirm').click();
      await id('visit').first().getByTestId('visit-voided').waitFor();
      assert.equal(await id('visit').count(), 3, 'nothing is deleted');
      await pointsOf('trend-pulse-pulse', 1);
      await id('nav-patients').click();
    });

    await t.test('search finds the patient by kana as typed', async () => {
      await id('patient-search').fill('ヤマ');
      await id('patient-list').getByTestId('patient-row').filter({ hasText: FAMILY }).waitFor();
      await id('patient-search').fill('すずき');
      await id('patients-empty').waitFor();
      await id('patient-search').fill('');
    });

    await t.test('two devices edit the same field; the review shows both and is resolved', async () => {
      await id('sync-now').click();
      await id('sync-pending').getByText('未送信 0件').waitFor();

      // The second device: a vault on the command line, enrolled and synced.
      const cliVault = join(dir, 'cli.karte');
      const cliEnv = { KARTE_PASSPHRASE: CLI_PASSPHRASE, KARTE_VAULT: cliVault };
      await karte(['init', '--name', 'suzuki'], cliEnv);
      await karte(['enrol', '--hub', hubUrl, '--code', cliCode, '--name', 'cli-laptop'], cliEnv);
      await karte(['sync'], cliEnv);

      // The nurse changes the phone number on her tablet, not synced yet.
      await id('patient-row').filter({ hasText: FAMILY }).first().click();
      await id('edit-patient').click();
      await id('patient-phone').fill(UI_PHONE);
      await id('patient-save').click();
      await id('chart-phone').getByText(UI_PHONE).waitFor();

      // Meanwhile the other device changes the same field and syncs first.
      const [patient] = JSON.parse(await karte(['patient', 'list', '--json'], cliEnv));
      assert.equal(patient.family, FAMILY);
      await karte(['patient', 'edit', patient.id, '--phone', CLI_PHONE], cliEnv);
      await karte(['sync'], cliEnv);

      // The nurse syncs: the chart shows both values with their authors.
      await id('sync-now').click();
      await id('reviews').waitFor();
      const values = await id('review-value').allTextContents();
      assert.equal(values.length, 2, values.join(' | '));
      assert.ok(values.some((v) => v.includes(UI_PHONE) && v.includes('sato')), values.join(' | '));
      assert.ok(values.some((v) => v.includes(CLI_PHONE) && v.includes('suzuki')), values.join(' | '));
      await shot('review');
      const keep = await id('review-value').filter({ hasText: CLI_PHONE }).getByRole('button');
      await keep.click();
      await id('reviews').waitFor({ state: 'detached' });
      await id('notice').waitFor();
    });

    await page.screenshot({ path: join(ARTIFACTS, 'karte-ui.png'), fullPage: false });

    await t.test('the sync bar follows the connection', async () => {
      await browser.setOffline(true);
      await id('sync-state').getByText('オフライン').waitFor();
      assert.ok(await id('sync-now').isDisabled());
      await browser.setOffline(false);
      await id('sync-state').getByText('オンライン').waitFor();
    });

    await t.test('auto-lock after the idle time set in the settings', async () => {
      await id('nav-settings').click();
      await id('settings-auto-lock').fill('0');
      assert.match(await id('settings-auto-lock-error').textContent(), /1〜60/);
      await id('settings-auto-lock').fill('1');
      await id('settings-save').click();
      await id('notice').waitFor();
      await id('nav-patients').click();
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
    const needles = [FAMILY + ' ' + GIVEN, FAMILY, GIVEN, NOTE, '右膝の腫れ', UI_PHONE, CLI_PHONE];
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
});
