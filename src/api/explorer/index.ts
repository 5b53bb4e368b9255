// The block explorer served at "/": an HTML shell, a stylesheet, a dependency-free script and an
// icon, all exported as strings so the compiled dist/ carries them without a copy step.
export { EXPLORER_HTML, EXPLORER_CSS, EXPLORER_ICON } from './page.js';
export { EXPLORER_JS } from './app.js';
