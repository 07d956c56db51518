#!/bin/sh
# Managed by swetcd-ops for cluster {{ cluster.name }}, member {{ node.name }}: edits are overwritten by `swetcd-ops backup --schedule`.
# Saves a snapshot of this member into {{ backup.directory }} and keeps the newest {{ backup.keep }}.
# Run by {{ backup.service_name }} (systemd timer) or {{ backup.cron_file }} (cron); safe to run by hand.
set -eu
umask 077
dir="{{ backup.directory }}"
keep={{ backup.keep }}
prefix="{{ cluster.name }}-{{ node.name }}-"
ctl="{{ backup.ctl }}"
export ETCDCTL_API=3

# Like systemd's RandomizedDelaySec for cron (which has none): members do not all snapshot at the same moment.
delay="${SWETCD_BACKUP_DELAY:-0}"
if [ "$delay" -gt 0 ]; then
  sleep $(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % delay ))
fi

mkdir -p "$dir"
chmod 700 "$dir"
# One name per second: wait for the next second rather than overwrite a snapshot taken in this one.
while :; do
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  final="$dir/$prefix$stamp.db"
  [ -e "$final" ] || break
  sleep 1
done
part="$dir/.$prefix$stamp.db.part"
trap 'rm -f "$part" "$part.part"' EXIT

"$ctl" --endpoints="{{ backup.endpoint }}" \
{% if cluster.tls %}
  --cacert="{{ backup.ca }}" --cert="{{ backup.cert }}" --key="{{ backup.key }}" \
{% endif %}
  --dial-timeout=10s --command-timeout=30m snapshot save "$part" >/dev/null
# A snapshot that its own tool cannot read is no backup: check it before it takes a name.
"$ctl" snapshot status "$part" -w json >/dev/null
mv -f "$part" "$final"
sync "$final" 2>/dev/null || sync
echo "swetcd-backup: $(date -u +%FT%TZ) saved $final ($(wc -c <"$final") bytes)"

# Retention: the names sort by time; remove all but the newest $keep of this member's snapshots.
set -- "$dir/$prefix"[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z.db
[ -e "$1" ] || set --
excess=$(( $# - keep ))
while [ "$excess" -gt 0 ]; do
  rm -f -- "$1"
  echo "swetcd-backup: retention removed $1"
  shift
  excess=$(( excess - 1 ))
done
