// Loads the wasm UI; its start function renders the app into <body>.
// The page's root element tells how far the start got (`data-boot`:
// loading, started or failed), and a failure is shown in words, so that
// a blank window always has a reason a person or a test can read.
import init from './karte_ui.js';

const root = document.documentElement;
root.dataset.boot = 'loading';
init().then(
  () => {
    root.dataset.boot = 'started';
  },
  (error) => {
    root.dataset.boot = 'failed';
    const message = document.createElement('p');
    message.dataset.testid = 'boot-error';
    message.setAttribute('role', 'alert');
    message.textContent = `Karte を起動できませんでした / Karte could not start: ${error}`;
    document.body.append(message);
  },
);
