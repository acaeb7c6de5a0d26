#!/usr/bin/env bash
# Installs the local Lambda emulator of the faas tests (serverless@3.40.0 and
# serverless-offline@13.10.1, exactly as package-lock.json pins them) into DEST,
# with `npm ci`. Skipped when DEST already holds an install of this very lock
# file; npm's own cache (~/.npm) makes a reinstall take ~35 s instead of ~70 s.
# Usage: install.sh DEST
set -euo pipefail
dest=${1:?usage: install.sh DEST}
here=$(cd "$(dirname "$0")" && pwd)
command -v npm >/dev/null || { echo "install.sh: npm not found (scripts/install-deps.sh faas)" >&2; exit 1; }

mkdir -p "$dest"
stamp="$dest/node_modules/.fmi-lock.sha256"
want=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dest/node_modules/serverless/bin/serverless.js" ]; then
  echo "install.sh: emulator already installed in $dest"
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
echo "install.sh: npm ci in $dest (serverless 3.40.0, serverless-offline 13.10.1)"
npm ci --no-audit --no-fund --prefer-offline --loglevel=error
echo "$want" > "$stamp"
