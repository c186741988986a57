#!/usr/bin/env bash
# The main job: connect to a SPICE server headless, link every channel, stay a few seconds, disconnect.
#
#   bash Scripts/connect.sh                       # starts a local QEMU SPICE server, connects, stops it
#   bash Scripts/connect.sh spice://HOST:PORT     # or: HOST PORT
#   bash Scripts/connect.sh HOST PORT --password-file F --seconds 20
#
# Installs what is missing first (needs root for apt-get on a fresh machine), then builds and runs
# spice-headless with the arguments given.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v swift >/dev/null 2>&1 || export PATH=/opt/swift/usr/bin:$PATH
bash Scripts/install-deps.sh >&2
swift build --product spice-headless >&2
exec "$(swift build --show-bin-path)/spice-headless" "$@"
