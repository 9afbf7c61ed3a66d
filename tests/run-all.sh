#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run it.
#
#   bash tests/run-all.sh [pytest arguments]
#
# System packages (with apt-get, only those missing): Dovecot for the IMAP tests, Chromium
# and its driver for the status page,
# PostgreSQL for the database tests, python3-venv, and faketime. Python packages go into
# .venv. The suite then runs a second time with the clock set to 2027-01-04 (libfaketime),
# so nothing depends on today's date; tests on real servers, whose own timers a faked
# clock disturbs, are left out of that run (see tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd dovecot-lmtpd)
# the status page is tested in a real headless browser, driven by Selenium
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
# systemd-analyze verifies contrib/mailflow.service; the package installs in a container
# without running systemd as init
command -v systemd-analyze >/dev/null || missing+=(systemd)
python3 -c "import ensurepip, venv" 2>/dev/null || missing+=(python3-venv)
faked=$(compgen -G "/usr/lib/*/faketime/libfaketime.so.1" | head -n1 || true)
[ -n "$faked" ] || missing+=(faketime)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q ".[test]"
.venv/bin/python -m pytest "$@"
faked=$(compgen -G "/usr/lib/*/faketime/libfaketime.so.1" | head -n1)
echo "again with the clock at 2027-01-04 (libfaketime)"
# "@": the clock starts at that moment and runs on at normal speed, so sleeps and
# timeouts behave. (FAKETIME_DONT_FAKE_MONOTONIC breaks Python's time.sleep: EINVAL.)
LD_PRELOAD="$faked" FAKETIME="@2027-01-04 09:00:00" MAILFLOW_FAKED_CLOCK=1 \
  .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
