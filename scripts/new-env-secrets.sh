#!/bin/sh
# Prints fresh random secrets (64 hex characters each) for docker-compose.yml's .env.
set -eu
for name in JWT_SECRET USER_ID_HASH_SECRET OTP_SECRET REFRESH_TOKEN_SECRET POSTGRES_PASSWORD MINIO_ROOT_PASSWORD S3_SECRET_ACCESS_KEY; do
  printf '%s=%s\n' "$name" "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
done
