#!/usr/bin/env bash
# Install what the test suite needs beyond the Python virtualenv, on Debian 12.
#
#   - Debian packages: chromium chromium-driver (browser tests), nodejs npm
#     (ical.js interop checks), wrk (load tests), nginx-light (proxy tests);
#     installed only when missing, after one `apt-get update`.
#   - npm packages of package-lock.json (ical.js): `npm ci` when node_modules/
#     is missing or older than package-lock.json.
#
# Idempotent: a second run changes nothing and says so. Runs as root, or through
# sudo. It never downloads a browser build of its own (no `playwright install`):
# browser tests use Debian's chromium and chromium-driver.
# If another apt/dpkg run holds the lock (say, an install in the background),
# this waits for it instead of failing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APT_PACKAGES=(chromium chromium-driver nodejs npm wrk nginx-light)
LOCK_WAIT_SECONDS="${APT_LOCK_WAIT_SECONDS:-1800}"

say() { printf 'install-test-deps: %s\n' "$*"; }
die() { printf 'install-test-deps: error: %s\n' "$*" >&2; exit 1; }

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  SUDO=()
fi

package_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

# A package counts as present when dpkg has it, or, for nodejs and npm, when the
# command is already there: NodeSource's nodejs package ships npm itself and
# conflicts with Debian's npm package.
package_present() {
  case "$1" in
    nodejs) package_installed nodejs || command -v node >/dev/null 2>&1 ;;
    npm) package_installed npm || command -v npm >/dev/null 2>&1 ;;
    *) package_installed "$1" ;;
  esac
}

# Run an apt-get command, waiting while another process holds apt's or dpkg's lock.
apt_get() {
  local deadline=$((SECONDS + LOCK_WAIT_SECONDS)) log status
  log="$(mktemp)"
  while true; do
    status=0
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get -o DPkg::Lock::Timeout="$LOCK_WAIT_SECONDS" "$@" 2> >(tee "$log" >&2) || status=$?
    wait  # for tee
    if [[ $status -eq 0 ]]; then
      rm -f "$log"
      return 0
    fi
    if grep -qiE 'could not get lock|unable to lock|is another process using it' "$log" \
      && ((SECONDS < deadline)); then
      say "apt is busy (another install holds its lock); waiting 10 s and trying again"
      sleep 10
      continue
    fi
    rm -f "$log"
    return "$status"
  done
}

missing=()
for package in "${APT_PACKAGES[@]}"; do
  if package_present "$package"; then
    say "present: $package"
  else
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get is not available; install them by hand"
  if [[ "$(id -u)" -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
    die "missing ${missing[*]}: run this script as root or install sudo"
  fi
  say "installing with apt-get: ${missing[*]}"
  say "apt-get update"
  apt_get update
  say "apt-get install -y ${missing[*]}"
  apt_get install -y "${missing[@]}"
else
  say "all Debian packages present: nothing to install"
fi

command -v node >/dev/null 2>&1 || die "node is still missing after the install"
command -v npm >/dev/null 2>&1 || die "npm is still missing after the install"

# npm writes node_modules/.package-lock.json on every install: it is our stamp.
cd "$ROOT"
stamp="node_modules/.package-lock.json"
if [[ ! -f package-lock.json ]]; then
  die "no package-lock.json in $ROOT"
elif [[ ! -d node_modules || ! -f "$stamp" ]]; then
  say "node_modules/ is missing: npm ci --no-audit --no-fund (in $ROOT)"
  npm ci --no-audit --no-fund
elif [[ package-lock.json -nt "$stamp" || package.json -nt "$stamp" ]]; then
  say "node_modules/ is older than package-lock.json: npm ci --no-audit --no-fund (in $ROOT)"
  npm ci --no-audit --no-fund
else
  say "node_modules/ is up to date with package-lock.json: nothing to do"
fi

say "done (node $(node --version), npm $(npm --version))"
