#!/usr/bin/env bash
# Installs what the tests need on Debian: libcoap's tools (a real CoAP peer),
# OpenSSL (a real DTLS peer; libssl-dev and pkg-config for the openssl crate),
# iproute2 (network namespaces for multicast tests), nftables (packet loss
# inside a namespace for the lossy-network tests), procps (sysctl), time
# (GNU time: the hostile-peer tests read the peak RSS it reports), and a
# real OS keyring for a private D-Bus session (dbus, gnome-keyring; libsecret's
# secret-tool as an independent client; keyutils for the kernel keyring), and
# tmux to drive interactive prompts, zsh and fish (the completion scripts
# must load in them; bash is already there), and nodejs and npm (oidc-provider,
# a real OAuth 2.0 server for the login tests, from tests/oidc/package-lock.json).
# Runs as root, or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libcoap3-bin iproute2 nftables procps time openssl libssl-dev pkg-config
          dbus gnome-keyring libsecret-tools keyutils tmux zsh fish nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A node from another source (e.g. nodesource) brings its own npm.
if command -v node >/dev/null && command -v npm >/dev/null; then
  kept=()
  for p in "${missing[@]}"; do [ "$p" = nodejs ] || [ "$p" = npm ] || kept+=("$p"); done
  missing=("${kept[@]}")
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: ${packages[*]} already installed"
else
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# oidc-provider 9 needs Node.js with URL.parse (20.18 or newer); Debian 12
# ships Node 18. Then a Node 22 binary comes from the npm registry (the
# node-linux-<arch> package) into tests/oidc/.node, which the tests prefer.
if ! node -e 'process.exit(typeof URL.parse === "function" ? 0 : 1)' 2>/dev/null \
   && [ ! -x tests/oidc/.node/bin/node ]; then
  arch=$(node -p process.arch)
  npm install --prefix tests/oidc/.node --no-save --no-audit --no-fund --loglevel=error "node-linux-$arch@22"
  mkdir -p tests/oidc/.node/bin
  ln -sf "../node_modules/node-linux-$arch/bin/node" tests/oidc/.node/bin/node
fi
# oidc-provider for tests/login.rs, exactly as locked.
if [ ! -d tests/oidc/node_modules/oidc-provider ]; then
  (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
fi
