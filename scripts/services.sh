#!/usr/bin/env bash
# Start the local PostgreSQL, Redis and RabbitMQ servers if they are installed but not
# running. The production-configuration tests use them; `make run` does not need them.
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
for port in 5432 6379 5672; do
  up "$port" && echo "service on 127.0.0.1:$port: up" || echo "service on 127.0.0.1:$port: down (tests that need it are skipped)"
done
exit 0
