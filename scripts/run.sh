#!/usr/bin/env bash
# `make run`: start the rig on its built-in defaults, in the foreground; Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${CARGO_TARGET_DIR:-target}/debug"

cat <<'WALK'
Issuer on http://127.0.0.1:9400 (identity https://token.dynatrace.com). Try, in another shell:

  curl -s http://127.0.0.1:9400/.well-known/openid-configuration
  curl -s http://127.0.0.1:9400/.well-known/jwks.json
  curl -s -X POST http://127.0.0.1:9400/mint -d '{"tenant":"abc12345","connection":"my-connection"}'
  curl -s -X POST http://127.0.0.1:9400/mint -d '{"fault":"expired"}'

WALK
exec "$bin/issuer" serve
