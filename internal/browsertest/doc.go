// Package browsertest drives Tandem's UI in headless Chromium: the chat widget
// on the demo merchant page and on a hostile host page, and the agent console,
// against an in-process Tandem server over a fresh database.
//
// The package has tests only. They need a Chromium (or Google Chrome) binary
// on the PATH (chromium, chromium-browser, google-chrome or
// google-chrome-stable); without one they skip, except when CI=true, where a
// missing browser fails them. .ci/run installs Chromium when it is missing. Set TANDEM_SCREENSHOT_DIR to
// keep the screenshots they take; otherwise they go to a temporary directory
// and their paths are logged.
//
// The package must not import internal/triage: it tests the UI as shipped,
// whatever state the classifiers are in.
package browsertest
