#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for tests and benchmarks (never for real data: fsync is off).
#   scripts/pg_throwaway.sh start DIR   -> initdb (as an unprivileged user when run as root), start on a
#                                         free loopback port, print the admin URL on stdout
#   scripts/pg_throwaway.sh stop DIR    -> stop the cluster and remove its files and DIR
# DIR holds the cluster when we are not root; as root the cluster lives in a folder of its own under
# /tmp owned by `postgres` (DIR, like any mktemp folder, may be closed to other users) named in DIR/.root.
# Installs Debian's `postgresql` when no initdb is found and we may (root + apt).
set -euo pipefail
cmd="${1:?start|stop}"; dir="${2:?cluster folder}"

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

as_owner() {  # run a command as the cluster's owner (root may not run postgres)
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

case "$cmd" in
start)
  if ! bin="$(find_bin)"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing Debian package: postgresql" >&2
      for _ in $(seq 1 60); do fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1 || break; sleep 5; done
      apt-get update -qq
      # policy-rc.d 101: do not start Debian's own cluster service; we start our own throw-away one.
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
      rm -f /usr/sbin/policy-rc.d
      bin="$(find_bin)"
    else
      echo "PostgreSQL is missing (install it: sudo apt-get install postgresql)" >&2; exit 1
    fi
  fi
  mkdir -p "$dir"
  root="$dir"
  if [ "$(id -u)" = 0 ]; then
    getent passwd postgres >/dev/null || useradd --system --no-create-home postgres
    root="$(mktemp -d /tmp/wb-pg.XXXXXX)"
    chown postgres "$root"
  fi
  echo "$root" > "$dir/.root"
  echo "$bin" > "$dir/.bin"
  port="$(free_port)"
  { as_owner "$bin/initdb" -D "$root/data" -U wb --auth=trust -E UTF8 --locale=C.UTF-8 \
      || as_owner "$bin/initdb" -D "$root/data" -U wb --auth=trust -E UTF8 --locale=C; } >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 120 start \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$root -c fsync=off \
        -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB" >/dev/null \
    || { cat "$root/server.log" >&2; exit 1; }
  echo "postgresql+psycopg://wb@127.0.0.1:$port/postgres"
  ;;
stop)
  [ -f "$dir/.root" ] || exit 0
  root="$(cat "$dir/.root")"
  bin="$(cat "$dir/.bin" 2>/dev/null || find_bin)"
  [ -d "$root/data" ] && as_owner "$bin/pg_ctl" -D "$root/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$root" "$dir"
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
