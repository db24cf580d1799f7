#!/usr/bin/env sh
# Checks deploy/nats/nats.conf (and the auth.conf it includes) with `nats-server -t`.
# Every variable the config reads gets a placeholder unless it is already set, so the check
# needs no real secret. Usage: deploy/nats/check.sh   (needs nats-server 2.9+ on PATH)
set -eu
cd "$(dirname "$0")"
for var in SERVER_NAME NATS_PASSWORD_SYS NATS_PASSWORD_INTEGRATIONS NATS_PASSWORD_VERIFIER \
  NATS_PASSWORD_CREDENTIAL_BROKER NATS_PASSWORD_OIDC_ISSUER NATS_PASSWORD_AUDIT \
  NATS_PASSWORD_RUNTRAIL_ADMIN NATS_PASSWORD_CLOUDTRAIL_BRIDGE NATS_PASSWORD_WORKER_POOL_DEFAULT \
  NATS_PASSWORD_STANDALONE; do
  eval "[ -n \"\${$var:-}\" ] || export $var=placeholder-$var"
done
nats-server -t -c nats.conf
