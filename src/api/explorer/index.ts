// The block explorer served at "/": an HTML shell, a stylesheet and an icon, exported as strings so
// the compiled dist/ carries them without a copy step. The page's script is the typed modules of
// src/explorer/, served from dist/ by explorer-modules.ts.
export { EXPLORER_HTML, EXPLORER_CSS, EXPLORER_ICON } from './page.js';
