#!/usr/bin/env bash
# Installs the Debian packages vouch's integration tests start as real
# servers or use as oracles. Idempotent: installs only what is missing, and
# runs apt-get update at most once.
set -euo pipefail

packages=(
  openssl          # openssl s_server: legacy TLS servers for scanners/tlsscan
  ca-certificates  # system roots
  nginx-light                    # a real WAF for scanners/wafscan:
  libnginx-mod-http-modsecurity  #   nginx + ModSecurity
  modsecurity-crs                #   + the OWASP Core Rule Set
  sslscan                        # oracle for scanners/tlsscan cipher enumeration
  chromium                       # headless browser test of the trust center (site/)
  strace                         # records every connection the WAF engine opens (wafscan/engine)
  knot                           # a real authoritative DNS server for dnsscan's integration test
  opendkim-tools                 #   with DKIM keys made by opendkim-genkey
)

# actionlint checks the GitHub Actions examples (internal/examplestest);
# the test finds it on $PATH or in $(go env GOPATH)/bin.
if ! command -v actionlint >/dev/null && [ ! -x "$(go env GOPATH)/bin/actionlint" ]; then
  echo "install-test-deps: go install actionlint v1.7.12"
  go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm runs axe-core in the browser test; machines often carry a Node.js of
# their own, so Debian's npm is installed only when there is no npm at all.
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-test-deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-test-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-test-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
