#!/usr/bin/env bash
# Start the local PostgreSQL, Redis and RabbitMQ servers if they are installed but not
# running. The production-configuration tests use them; `make run` does not need them.
# Under CI (CI set, as CI services do) a service that is still down after that fails
# the run: its tests would fail anyway (tests/conftest.py turns their skips into
# failures there), and this says why first. Elsewhere they are skipped.
set -uo pipefail
case "${1:-start}" in
  start) ;;
  *) echo "usage: services.sh start" >&2; exit 2 ;;
esac
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! up 5432 && command -v pg_ctlcluster >/dev/null; then
  echo "==> starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! up 6379 && command -v redis-server >/dev/null; then
  echo "==> starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi
if ! up 5672 && command -v rabbitmq-server >/dev/null; then
  echo "==> starting RabbitMQ"
  rabbitmq-server -detached || true
  for _ in $(seq 1 60); do up 5672 && break; sleep 1; done
fi
ci=false
case "${CI:-}" in ""|0|false|no) ;; *) ci=true ;; esac
down=""
for service in PostgreSQL:5432 Redis:6379 RabbitMQ:5672; do
  name=${service%%:*} port=${service##*:}
  if up "$port"; then
    echo "$name on 127.0.0.1:$port: up"
  elif $ci; then
    echo "$name on 127.0.0.1:$port: down (CI: the tests that need it cannot run)" >&2
    down="$down $name"
  else
    echo "$name on 127.0.0.1:$port: down (tests that need it are skipped)"
  fi
done
if [ -n "$down" ]; then
  echo "services.sh: not running under CI:$down" >&2
  exit 1
fi
exit 0
