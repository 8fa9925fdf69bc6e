// Starts the console (a file, not an inline script, so the console's CSP needs no 'unsafe-inline'
// for scripts: see public/_headers).
import init from "/pkg/console/parley_console.js";
init({ module_or_path: "/pkg/console/parley_console_bg.wasm" });
