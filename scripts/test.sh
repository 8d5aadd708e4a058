#!/bin/sh
# The whole test suite, from a fresh checkout: installs castline with its test
# dependencies, makes sure Debian's chromium is there for the browser tests,
# then runs pytest. The tests start and stop their own servers (SeaweedFS S3,
# the preview server) on 127.0.0.1.
set -eu
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is not installed; the browser tests will skip (and fail under CI=true)." >&2
  fi
fi
exec python3 -m pytest "$@"
