// Loads the wasm UI; its start function renders the app into <body>.
import init from './karte_ui.js';

init();
