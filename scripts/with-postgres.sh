#!/usr/bin/env bash
# Run a command with TEST_DATABASE_URL pointing at an empty PostgreSQL database.
#
# 1. TEST_DATABASE_URL already set: use it as it is.
# 2. A local server on 127.0.0.1:5432 that lets us in without a password: a fresh
#    database "circle_test" on it.
# 3. Otherwise a throwaway cluster in a temporary directory (Debian's postgresql package
#    is installed first when no initdb is found), stopped and removed afterwards.
# CIRCLE_PG=throwaway forces the third way.
set -euo pipefail

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  exec "$@"
fi

db=circle_test
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd=sudo

if [ "${CIRCLE_PG:-}" != throwaway ] && command -v psql >/dev/null 2>&1; then
  for user in postgres "$(id -un)"; do
    if psql -h 127.0.0.1 -p 5432 -U "$user" -d postgres -Atqc 'select 1' >/dev/null 2>&1 </dev/null; then
      psql -h 127.0.0.1 -p 5432 -U "$user" -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
      psql -h 127.0.0.1 -p 5432 -U "$user" -d postgres -qc "CREATE DATABASE $db" >/dev/null
      echo "PostgreSQL: using the local server (database $db as $user)"
      export TEST_DATABASE_URL="postgresql://$user@127.0.0.1:5432/$db"
      exec "$@"
    fi
  done
fi

find_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
bindir=$(find_bin)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL: installing Debian's postgresql package for a throwaway cluster ..."
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq postgresql >/dev/null
  bindir=$(find_bin)
fi

dir=$(mktemp -d /tmp/circle-pg.XXXXXX)
port=${CIRCLE_PG_PORT:-54329}
run_as=()
if [ "$(id -u)" = 0 ]; then
  chown postgres: "$dir"
  run_as=(runuser -u postgres --)
fi
cleanup() {
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
"${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
"${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" \
  -o "-p $port -k $dir -c listen_addresses='' -c fsync=off -c max_connections=200" start >/dev/null
"$bindir/createdb" -h "$dir" -p "$port" -U postgres "$db"
echo "PostgreSQL: throwaway cluster in $dir (port $port)"
export TEST_DATABASE_URL="postgresql://postgres@/$db?host=$dir&port=$port"
"$@"
