#!/bin/sh
# Managed by swetcd-ops for cluster {{ cluster.name }}, member {{ node.name }}.
# Keeps {{ server_name }} running where systemd is not (like Restart=always): restarts it 5 s after it exits.
# Loads {{ node.config_dir }}/etcd.conf as the environment, as the systemd unit's EnvironmentFile does.
# Start: setsid {{ supervisor.script }} </dev/null >/dev/null 2>&1 &    Stop: kill -TERM "$(cat {{ supervisor.pid_file }})"
set -u
pidfile="{{ supervisor.pid_file }}"
log="{{ supervisor.log_file }}"
user="{{ node.service_user }}"
echo $$ > "$pidfile.tmp" && mv -f "$pidfile.tmp" "$pidfile"
child=""
stopping=0
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
while [ "$stopping" -eq 0 ]; do
  (
    set -a
    . "{{ node.config_dir }}/etcd.conf"
    set +a
    if [ "$(id -u)" = 0 ] && [ "$user" != root ]; then
      exec setpriv --reuid="$user" --regid="$user" --init-groups "{{ node.bin_dir }}/{{ server_binary }}"
    fi
    exec "{{ node.bin_dir }}/{{ server_binary }}"
  ) >>"$log" 2>&1 &
  child=$!
  status=0
  wait "$child" || status=$?
  # A trap interrupts wait: keep waiting until the server has really exited.
  while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done
  [ "$stopping" -eq 1 ] && break
  echo "swetcd-supervise: $(date -u +%FT%TZ) server exited with status $status; restarting in 5 s" >>"$log"
  sleep 5 &
  wait $! || true
done
rm -f "$pidfile"
