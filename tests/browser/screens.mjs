// What every screen of the app must hold at every size a nurse uses it:
// no tap target under 44×44 CSS px, nothing wider than the viewport, and a
// focus a keyboard user can see. Also the screenshots a reviewer opens.
//
// The checks run in the page through the DevTools protocol's evaluation,
// which the app's content policy (no `eval`) does not stop.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** The smallest side of a tap target, in CSS px (WCAG 2.5.5, Apple's and Android's guides). */
export const MIN_TARGET = 44;

/**
 * Measures the page as it is drawn now: every visible tap target smaller
 * than `min` on a side, and every element reaching past the viewport's
 * right or left edge. Runs in the page; returns plain data.
 */
export function measure(min) {
  const describe = (el) => {
    const id = el.getAttribute('data-testid');
    const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).join('.')}` : '';
    const text = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim().replace(/\s+/g, ' ').slice(0, 30);
    return `<${el.tagName.toLowerCase()}${id ? ` data-testid=${id}` : ''}${cls}>${text ? ` "${text}"` : ''}`;
  };
  const shown = (el) => {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && Number(style.opacity) > 0;
  };
  // Anything a finger can act on: the interactive elements, and whatever
  // the style marks as clickable (the outermost one of a clickable group).
  const interactive = 'button, a[href], input:not([type=hidden]), select, textarea, summary, [role=button], [role=link], [tabindex]:not([tabindex="-1"])';
  const targets = new Set(document.querySelectorAll(interactive));
  for (const el of document.body.querySelectorAll('*')) {
    if (getComputedStyle(el).cursor === 'pointer' && !(el.parentElement && getComputedStyle(el.parentElement).cursor === 'pointer')) {
      targets.add(el);
    }
  }
  const small = [];
  for (const el of targets) {
    if (!shown(el)) continue;
    // A control inside a larger target (an input in its label) is reached through it.
    const outer = el.parentElement?.closest('button, label, [role=button]');
    if (outer && shown(outer)) {
      const r = outer.getBoundingClientRect();
      if (r.width >= min - 0.5 && r.height >= min - 0.5) continue;
    }
    const rect = el.getBoundingClientRect();
    if (rect.width < min - 0.5 || rect.height < min - 0.5) {
      small.push(`${describe(el)} is ${Math.round(rect.width)}×${Math.round(rect.height)}`);
    }
  }
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const overflowing = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (!shown(el)) continue;
    const rect = el.getBoundingClientRect();
    if ((rect.right > width + 0.5 || rect.left < -0.5) && !clipped(el)) {
      overflowing.push(`${describe(el)} spans ${Math.round(rect.left)}–${Math.round(rect.right)} of ${width}`);
    }
  }
  const scroll = document.documentElement.scrollWidth;
  if (scroll > width) overflowing.unshift(`the page scrolls sideways: ${scroll} px wide in a ${width} px viewport`);
  return { small, overflowing: overflowing.slice(0, 12) };
}

/** Whether the focused element shows where the focus is. Runs in the page. */
function focusShown() {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  // The focus is inside the control's own parts (the calendar button of a
  // date input), which the browser rings itself.
  if (!el.matches(':focus')) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const ring = style.boxShadow && style.boxShadow !== 'none';
  const id = el.getAttribute('data-testid') ?? el.tagName.toLowerCase();
  return { id, visible: Boolean(outline || ring), style: `outline ${style.outlineStyle} ${style.outlineWidth}, box-shadow ${style.boxShadow}` };
}

/**
 * The screens of one device: `check(name)` draws the current screen at
 * each of the device's sizes, writes a screenshot of each into
 * `folder`, and fails on any tap target under 44 px or any horizontal
 * overflow; with a keyboard, it also tabs through the screen and fails on
 * a focus that cannot be seen.
 */
export function screens(page, device, folder) {
  mkdirSync(folder, { recursive: true });
  const written = [];
  const check = async (name) => {
    const problems = [];
    for (const size of device.sizes) {
      await page.setViewportSize(size);
      // Let the layout settle after a rotation (one frame is enough; two for safety).
      await page.waitForTimeout(120);
      // From the top: a full-page shot of a scrolled page draws the sticky
      // header and the sync bar in the middle of it.
      await page.evaluate(() => window.scrollTo(0, 0));
      const file = join(folder, `${device.name}-${size.width}x${size.height}-${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      written.push(file);
      const { small, overflowing } = await page.evaluate(measure, MIN_TARGET);
      const at = `${name} at ${size.width}×${size.height}`;
      problems.push(...small.map((s) => `${at}: tap target ${s}`));
      problems.push(...overflowing.map((s) => `${at}: overflows: ${s}`));
    }
    await page.setViewportSize(device.sizes[0]);
    if (device.keyboard) problems.push(...(await tabThrough(page, name)));
    if (problems.length) throw new Error(`layout check failed:\n  ${problems.join('\n  ')}`);
  };
  return { check, written };
}

/** Tabs through the screen's focusable elements; the ones that hide their focus. */
async function tabThrough(page, name) {
  const problems = [];
  const seen = new Set();
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(focusShown);
    if (!focus) continue;
    if (seen.has(focus.id) && focus.id === [...seen][0]) break;
    seen.add(focus.id);
    if (!focus.visible) problems.push(`${name}: the focus on ${focus.id} cannot be seen (${focus.style})`);
  }
  // Leave no field focused: the journey goes on as if the keyboard was not used.
  await page.evaluate(() => document.activeElement?.blur());
  return [...new Set(problems)];
}
