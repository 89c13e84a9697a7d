#!/usr/bin/env bash
# Installs what the tests need on Debian: libcoap's tools (a real CoAP peer),
# OpenSSL (a real DTLS peer; libssl-dev and pkg-config for the openssl crate),
# iproute2 (network namespaces for multicast tests), procps (sysctl), and a
# real OS keyring for a private D-Bus session (dbus, gnome-keyring; libsecret's
# secret-tool as an independent client; keyutils for the kernel keyring), and
# tmux to drive interactive prompts.
# Runs as root, or through sudo.
set -euo pipefail
packages=(libcoap3-bin iproute2 procps openssl libssl-dev pkg-config
          dbus gnome-keyring libsecret-tools keyutils tmux)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: ${packages[*]} already installed"
else
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
