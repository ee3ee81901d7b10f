#!/usr/bin/env bash
# Issue #19: the deployment of docs/deploy.md, run on this machine and checked from outside (`make test-deploy`,
# a section of .ci/run). Caddy terminates TLS (its internal CA) in front of two `keel serve` processes on two
# ports, load-balanced; `keel worker` beside them; one throwaway PostgreSQL database; production settings;
# a real SMTP server (aiosmtpd) that prints every message it receives. Keel is installed as docs/deploy.md
# says: its wheel is built from this checkout and installed, with its dependencies from the package index, into
# a fresh virtual environment; every `keel` process runs from there, never from src/. tests/deploy/checks.py
# then checks the layout from the outside over HTTPS. Every process started here is stopped on exit, the
# database dropped and the work directory (wheel, environment, logs) removed.
#
# Needs: caddy on PATH (Debian's package), PostgreSQL at KEEL_DEPLOY_PG (default 127.0.0.1:5432, user postgres,
# trust), the package index (pip's cache makes the second run quick), the project's .venv (make install: it
# compiles the .mo files the wheel carries, and runs aiosmtpd and the checks, which are test tools, not Keel).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
START=$(date +%s)
PG_ADMIN_URL=${KEEL_DEPLOY_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
command -v caddy >/dev/null || { echo "caddy not found: apt-get install caddy (.ci/run does)"; exit 1; }

WORK=$(mktemp -d /tmp/keel-deploy.XXXXXX)
DB=keel_deploy_$("$BIN/python" -c 'import secrets; print(secrets.token_hex(6))')
PIDS=()
DB_MADE=
APP_ROLE=${DB}_app  # the role the processes connect as (issue #14: it cannot change audit rows)
ROLE_MADE=

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ -n "$DB_MADE" ]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null || rc=1
  fi
  if [ -n "$ROLE_MADE" ]; then
    psql -q "$PG_ADMIN_URL" -c "DROP ROLE IF EXISTS $APP_ROLE" >/dev/null || rc=1
  fi
  if [ "$rc" -ne 0 ]; then
    for log in "$WORK"/*.log; do
      [ -f "$log" ] || continue
      echo "---- last lines of $(basename "$log")"; tail -n 30 "$log"
    done
  fi
  rm -rf "$WORK"
  echo "deployment check: $([ "$rc" -eq 0 ] && echo passed || echo FAILED) in $(( $(date +%s) - START )) s"
  exit "$rc"
}
trap cleanup EXIT INT TERM

free_port() { "$BIN/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
WEB1=$(free_port); WEB2=$(free_port); SMTP=$(free_port); HTTPS=$(free_port); HTTP=$(free_port)
while [ "$WEB2" = "$WEB1" ]; do WEB2=$(free_port); done

echo "==> the wheel, installed into a fresh environment"
# Built from what git tracks plus the compiled translations (make's .mo files, ignored by git), copied aside
# so the checkout gets no build/ or .egg-info and nothing untracked slips into the wheel.
mkdir -p "$WORK/source"
{ git ls-files; ls src/keel/locale/*/LC_MESSAGES/django.mo; } | tar -cf - -T - | tar -xf - -C "$WORK/source"
"$BIN/python" -m pip wheel -q --disable-pip-version-check --no-deps -w "$WORK/dist" "$WORK/source" \
  > "$WORK/wheel.log" 2>&1
WHEEL=$(ls "$WORK"/dist/keel-*.whl)
# Every file of the package (templates, static files, migrations, data, the compiled translations) is in it.
"$BIN/python" - "$WHEEL" <<'PY'
import subprocess, sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
tracked = subprocess.run(["git", "ls-files", "src/keel"], capture_output=True, text=True, check=True).stdout.split()
wanted = [f.removeprefix("src/") for f in tracked] + ["keel/locale/es/LC_MESSAGES/django.mo"]
missing = [f for f in wanted if f not in names]
if missing:
    sys.exit(f"the wheel lacks {len(missing)} file(s) of src/keel (pyproject's package-data): {missing[:10]}")
print(f"  {sys.argv[1].rsplit('/', 1)[1]}: {len(names)} files, every file of src/keel and the .mo files")
PY
"$BIN/python" -m venv "$WORK/venv"
VENV=$WORK/venv/bin
"$VENV/pip" install -q --disable-pip-version-check "$WHEEL" > "$WORK/install.log" 2>&1 \
  || { cat "$WORK/install.log"; exit 1; }
unset PYTHONPATH
( cd "$WORK" && "$VENV/python" -c 'import keel, sys; assert keel.__file__.startswith(sys.prefix), keel.__file__' )
echo "  installed in $(( $(date +%s) - START )) s; keel runs from $WORK/venv"

psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $DB" >/dev/null
DB_MADE=1
DB_URL=$("$BIN/python" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$PG_ADMIN_URL" "$DB")

# /etc/keel/env of docs/deploy.md, with this run's values.
key() { "$BIN/python" -c 'import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())'; }
mkdir -p -m 700 "$WORK/keys"
"$VENV/python" -c 'import sys; from pathlib import Path; from keel.audit.signing import generate; generate(Path(sys.argv[1]))' "$WORK/keys/checkpoint.pem"
cat > "$WORK/env" <<ENV
KEEL_PRODUCTION=1
KEEL_SECRET_KEY=$("$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(64))')
KEEL_DATA_KEYS=ci1:$(key)
KEEL_AUDIT_KEYS=ci1:$(key)
KEEL_CHECKPOINT_KEY=$WORK/keys/checkpoint.pem
KEEL_DATABASE_URL=$DB_URL
KEEL_ALLOWED_HOSTS=keel.clinic.test
KEEL_PUBLIC_URL=https://keel.clinic.test:$HTTPS
KEEL_EMAIL_URL=smtp://127.0.0.1:$SMTP?from=keel@clinic.example
KEEL_DATA_DIR=$WORK/data
KEEL_BACKUP_DIR=$WORK/backups
ENV
set -a; . "$WORK/env"; set +a
export PYTHONUNBUFFERED=1

cd "$WORK"  # nothing of the checkout on the way: the processes run from the installed package
echo "==> release steps (database $DB)"
"$VENV/keel" migrate --no-input -v 0  # as the owner (here the admin role), which owns the tables
"$VENV/keel" collectstatic --no-input -v 0
# docs/deploy.md's two roles: the owner migrates; the processes connect as an application role that may read and
# write every table but can only SELECT and INSERT audit rows (keel audit app-role, run by the owner).
psql -q "$PG_ADMIN_URL" -c "CREATE ROLE $APP_ROLE LOGIN" >/dev/null
ROLE_MADE=1
"$VENV/keel" audit app-role "$APP_ROLE" >/dev/null
APP_URL=$("$BIN/python" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(netloc=sys.argv[2] + "@" + p.netloc.rsplit("@", 1)[-1])))' "$DB_URL" "$APP_ROLE")
sed -i "s|^KEEL_DATABASE_URL=.*|KEEL_DATABASE_URL=$APP_URL|" "$WORK/env"
export KEEL_DATABASE_URL=$APP_URL
if psql -q "$APP_URL" -c "UPDATE audit_auditevent SET reason = reason" >/dev/null 2>&1 \
   || psql -q "$APP_URL" -c "DELETE FROM audit_auditevent" >/dev/null 2>&1; then
  echo "  FAIL the application role can change audit rows"; exit 1
fi
echo "  ok   the application role ($APP_ROLE) cannot UPDATE or DELETE audit rows"
"$VENV/keel" check --deploy --database default --fail-level WARNING  # keel.audit.W001 checks the role too
printf '%s\n' 'ci-Admin-passw0rd-long' | "$VENV/keel" setup --program-slug riverside --program-name "Riverside Clinic" \
  --time-zone America/New_York --username ci-admin --email admin@clinic.example --password-stdin --json \
  > "$WORK/setup.json"

echo "==> starting SMTP :$SMTP, web :$WEB1 and :$WEB2, worker, Caddy https :$HTTPS http :$HTTP"
"$BIN/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP" > "$WORK/smtp.log" 2>&1 & PIDS+=($!)
"$VENV/keel" serve --host 127.0.0.1 --port "$WEB1" --workers 1 --threads 2 > "$WORK/web1.log" 2>&1 & PIDS+=($!)
"$VENV/keel" serve --host 127.0.0.1 --port "$WEB2" --workers 1 --threads 2 > "$WORK/web2.log" 2>&1 & PIDS+=($!)
"$VENV/keel" worker --interval 1 > "$WORK/worker.log" 2>&1 & PIDS+=($!)

# docs/deploy.md's Caddyfile; only here: ports other than 80/443, the name keel.clinic.test (no DNS entry: the
# checks connect to 127.0.0.1 naming it; production refuses a KEEL_PUBLIC_URL on the loopback's name), Caddy's
# own CA for it (tls internal, its root given to the client instead of installed), and a response header naming
# the upstream that served, so the checks can prove both processes answered.
sed -e "s/keel.clinic.example/keel.clinic.test/" -e "s/127.0.0.1:8001/127.0.0.1:$WEB1/" -e "s/127.0.0.1:8002/127.0.0.1:$WEB2/" \
  -e "s|#CI-ONLY||" "$ROOT/deploy/Caddyfile" > "$WORK/Caddyfile.site"
cat > "$WORK/Caddyfile" <<CADDY
{
    http_port $HTTP
    https_port $HTTPS
    admin off
    storage file_system $WORK/caddy
    skip_install_trust
    local_certs
}
import $WORK/Caddyfile.site
CADDY
caddy run --config "$WORK/Caddyfile" --adapter caddyfile > "$WORK/caddy.log" 2>&1 & PIDS+=($!)

"$BIN/python" "$ROOT/tests/deploy/checks.py" --work "$WORK" --https "$HTTPS" --http "$HTTP" \
  --web "127.0.0.1:$WEB1" --web "127.0.0.1:$WEB2" --smtp-log "$WORK/smtp.log" --setup "$WORK/setup.json" --keel "$VENV/keel"
