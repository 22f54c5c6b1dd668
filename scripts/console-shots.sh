#!/bin/sh
# console-shots.sh - take the README's pictures of the staff console
# (docs/img/console-*.png) from the browser tests' own setup: the real
# daemon, the simulator and headless Chromium at 1366x768.
# Run from the top of the checkout after `make`.
set -eu
mkdir -p docs/img
SHOTS="$PWD/docs/img" TOP="$PWD" BUILD="${BUILD:-build}" sh tests/integration/t_browser.sh
ls -l docs/img/console-*.png
