#!/usr/bin/env bash
# Installs, upgrades or removes the door station on Debian 12/13 and
# Raspberry Pi OS. Run it as root from an unpacked release or a checkout:
#
#   sudo scripts/install.sh              install or upgrade (keeps /etc/intercom)
#   sudo scripts/install.sh --dry-run    print what it would do, change nothing
#   sudo scripts/install.sh --uninstall  remove the program, keep config and user
#   sudo scripts/install.sh --uninstall --purge   also remove config, state and user
#
# Running it again is safe: it only creates what is missing, never overwrites
# /etc/intercom/config.yaml or the secret file, and swaps the program in one
# step so an interrupted upgrade leaves the previous version in place.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: install.sh [--dry-run] [--root DIR] [--no-packages] [--no-start]
       install.sh --uninstall [--purge] [--dry-run] [--root DIR]

Installs the intercom door station: run-time packages (Node.js >= 20,
PortAudio, SpeexDSP, libgpiod tools), the system user "intercom" (groups audio, gpio,
dialout), the program in /usr/lib/intercom with /usr/bin/intercom, the config
/etc/intercom/config.yaml (from the example, only if there is none), the secret
file /etc/intercom/sip.secret (mode 0600, only if there is none) and the
systemd service, which it enables and (re)starts when the config is valid.

Options:
  --dry-run      print every step, change nothing
  --root DIR     install into DIR instead of / (for packaging and tests): no
                 packages, no systemctl, no service start
  --no-packages  do not install Debian packages
  --no-start     enable the service but do not (re)start it
  --uninstall    stop and remove the program and service; keeps /etc/intercom,
                 /var/lib/intercom and the user
  --purge        with --uninstall: also remove those
  -h, --help     show this help
EOF
}

DRY_RUN=0
ROOT=""
PACKAGES=1
START=1
UNINSTALL=0
PURGE=0

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --root)
      [[ $# -ge 2 && -n "$2" ]] || { echo "install.sh: --root needs a directory" >&2; exit 2; }
      ROOT="${2%/}"
      shift
      ;;
    --root=*) ROOT="${1#--root=}"; ROOT="${ROOT%/}" ;;
    --no-packages) PACKAGES=0 ;;
    --no-start) START=0 ;;
    --uninstall) UNINSTALL=1 ;;
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see install.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ $PURGE -eq 1 && $UNINSTALL -eq 0 ]]; then
  echo "install.sh: --purge only goes with --uninstall" >&2
  exit 2
fi

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
USER_NAME=intercom
GROUPS_WANTED=(audio gpio dialout)
PREFIX_DIR=/usr/lib/intercom
ETC_DIR=/etc/intercom
STATE_DIR=/var/lib/intercom
UNIT=/etc/systemd/system/intercom.service
WANTS_LINK=/etc/systemd/system/multi-user.target.wants/intercom.service
UDEV_RULE=/etc/udev/rules.d/60-intercom-gpio.rules
BIN_LINK=/usr/bin/intercom
# Program files copied from the source tree (node_modules is pruned to run-time ones).
PROGRAM_FILES=(bin dist node_modules package.json package-lock.json README.md examples hw systemd)

say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }

# Every change goes through run: printed, and skipped in a dry run.
run() {
  local shown
  # Quoted as a shell would need it, so a printed step can be pasted and run.
  shown=$(printf '%q ' "$@")
  if [[ $DRY_RUN -eq 1 ]]; then
    echo "would run: ${shown% }"
  else
    echo "+ ${shown% }"
    "$@"
  fi
}

# Writes stdin to a file with a mode, through run's dry-run handling.
write_file() {
  local path=$1 mode=$2 content
  content=$(cat)
  if [[ $DRY_RUN -eq 1 ]]; then
    echo "would write: $path (mode $mode)"
    return
  fi
  echo "+ write $path (mode $mode)"
  printf '%s\n' "$content" >"$path.tmp"
  chmod "$mode" "$path.tmp"
  mv -f "$path.tmp" "$path"
}

# With --root the user database is the one under DIR, not this machine's.
prefix_args=()
[[ -n "$ROOT" ]] && prefix_args=(--prefix "$ROOT")

has_group() {
  if [[ -n "$ROOT" ]]; then grep -q "^$1:" "$ROOT/etc/group" 2>/dev/null; else getent group "$1" >/dev/null; fi
}
has_user() {
  if [[ -n "$ROOT" ]]; then grep -q "^$1:" "$ROOT/etc/passwd" 2>/dev/null; else getent passwd "$1" >/dev/null; fi
}
# Numeric ids, so chown works under --root where the name is unknown to this machine.
user_id() {
  if [[ -n "$ROOT" ]]; then awk -F: -v u="$1" '$1 == u { print $3 }' "$ROOT/etc/passwd"; else id -u "$1"; fi
}
group_id() {
  if [[ -n "$ROOT" ]]; then awk -F: -v g="$1" '$1 == g { print $3 }' "$ROOT/etc/group"; else getent group "$1" | cut -d: -f3; fi
}
user_in_group() {
  if [[ -n "$ROOT" ]]; then
    awk -F: -v g="$2" -v u="$1" '$1 == g { n = split($4, m, ","); for (i = 1; i <= n; i++) if (m[i] == u) found = 1 } END { exit !found }' "$ROOT/etc/group"
  else
    id -nG "$1" | tr ' ' '\n' | grep -qx "$2"
  fi
}

check_root() {
  if [[ -z "$ROOT" && $DRY_RUN -eq 0 && $(id -u) -ne 0 ]]; then
    die "must run as root (sudo $0 $*)"
  fi
  if [[ -n "$ROOT" && ! -d "$ROOT" ]]; then
    die "--root $ROOT: no such directory"
  fi
}

check_os() {
  local id="" version=""
  if [[ -r /etc/os-release ]]; then
    # shellcheck disable=SC1091
    id=$(. /etc/os-release && echo "${ID:-}")
    # shellcheck disable=SC1091
    version=$(. /etc/os-release && echo "${VERSION_ID:-}")
  fi
  case "$id:$version" in
    debian:12 | debian:13 | raspbian:12 | raspbian:13) ;;
    *) say "warning: made for Debian 12/13 and Raspberry Pi OS; this is ${id:-unknown} ${version:-?}" ;;
  esac
}

node_major() {
  local v
  v=$(node --version 2>/dev/null || true)
  v=${v#v}
  echo "${v%%.*}"
}

install_packages() {
  if [[ -n "$ROOT" || $PACKAGES -eq 0 ]]; then
    say "skipping Debian packages (nodejs >= 20, libportaudio2, libspeexdsp1, gpiod, libsystemd0, alsa-utils)"
    return
  fi
  # libspeexdsp1: echo cancellation; gpiod: the libgpiod tools (gpioinfo) for diagnosing wiring.
  local wanted=(libportaudio2 libspeexdsp1 gpiod libsystemd0 alsa-utils)
  local major
  major=$(node_major)
  if [[ -z "$major" || "$major" -lt 20 ]]; then
    # Debian 13 ships Node 20; Debian 12 ships 18, too old.
    local candidate
    candidate=$(apt-cache policy nodejs 2>/dev/null | awk '/Candidate:/ { print $2 }')
    candidate=${candidate#*:}
    if [[ -z "$candidate" || "${candidate%%.*}" == "(none)" || "${candidate%%.*}" -lt 20 ]]; then
      die "Node.js >= 20 is needed and this system's packages offer ${candidate:-none}; install Node.js 20 (e.g. from https://github.com/nodesource/distributions), then run this again"
    fi
    wanted+=(nodejs)
  fi
  local missing=()
  local pkg
  for pkg in "${wanted[@]}"; do
    [[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" == installed ]] || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    say "packages already installed"
    return
  fi
  run apt-get update
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

check_source() {
  [[ -f "$SRC/dist/cli/main.js" && -d "$SRC/node_modules" ]] && return
  if [[ $DRY_RUN -eq 1 ]]; then
    echo "would run: npm ci && npm run build (in $SRC)"
    return
  fi
  [[ -z "$ROOT" ]] || die "$SRC is not built; run 'npm ci && npm run build' there first"

  command -v npm >/dev/null || die "$SRC is not built and npm is missing; install npm or use a release archive"
  say "building in $SRC"
  (cd "$SRC" && npm ci --no-audit --no-fund && npm run build)
}

create_user() {
  local g
  for g in "${GROUPS_WANTED[@]}" ; do
    # Debian has no gpio group (Raspberry Pi OS does); the udev rule below uses it.
    has_group "$g" || run groupadd "${prefix_args[@]}" --system "$g"
  done
  if ! has_user "$USER_NAME"; then
    run useradd "${prefix_args[@]}" --system --user-group --home-dir "$STATE_DIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "door intercom" --groups "$(IFS=,; echo "${GROUPS_WANTED[*]}")" "$USER_NAME"
    return
  fi
  for g in "${GROUPS_WANTED[@]}"; do
    user_in_group "$USER_NAME" "$g" || run usermod "${prefix_args[@]}" --append --groups "$g" "$USER_NAME"
  done
}

install_program() {
  local target="$ROOT$PREFIX_DIR"
  local stage="$target.new" old="$target.old"
  run mkdir -p "$(dirname "$target")" "$ROOT/usr/bin"
  run rm -rf "$stage" "$old"
  run mkdir -p "$stage"
  local f
  for f in "${PROGRAM_FILES[@]}"; do
    [[ -e "$SRC/$f" ]] && run cp -a "$SRC/$f" "$stage/"
  done
  # Only run-time dependencies; works offline (it only deletes). --install-links as in
  # .npmrc (not copied): else the local intercom-naudiodon-build turns into a dangling link.
  if [[ -f "$SRC/package-lock.json" ]]; then
    run npm prune --omit=dev --install-links --no-audit --no-fund --offline --prefix "$stage" --loglevel=error
  fi
  run chown -R 0:0 "$stage"
  # The swap: the old version stays whole until the new one is complete.
  if [[ -e "$target" ]]; then
    run mv "$target" "$old"
  fi
  run mv "$stage" "$target"
  run rm -rf "$old"
  run ln -sfn "$PREFIX_DIR/bin/intercom" "$ROOT$BIN_LINK"
}

install_config() {
  local uid gid
  uid=$(user_id "$USER_NAME" 2>/dev/null || true)
  gid=$(group_id "$USER_NAME" 2>/dev/null || true)
  if [[ $DRY_RUN -eq 1 && -z "$uid" ]]; then uid="$USER_NAME"; gid="$USER_NAME"; fi
  run mkdir -p "$ROOT$ETC_DIR" "$ROOT$STATE_DIR"
  run chown "0:$gid" "$ROOT$ETC_DIR"
  run chmod 0750 "$ROOT$ETC_DIR"
  run chown "$uid:$gid" "$ROOT$STATE_DIR"
  run chmod 0750 "$ROOT$STATE_DIR"
  if [[ -e "$ROOT$ETC_DIR/config.yaml" ]]; then
    say "keeping $ETC_DIR/config.yaml"
  else
    run install -m 0640 -o 0 -g "$gid" "$SRC/examples/door.yaml" "$ROOT$ETC_DIR/config.yaml"
  fi
  if [[ -e "$ROOT$ETC_DIR/sip.secret" ]]; then
    say "keeping $ETC_DIR/sip.secret"
  else
    # Empty on purpose: `intercom check` says so until the SIP password is put in.
    run install -m 0600 -o "$uid" -g "$gid" /dev/null "$ROOT$ETC_DIR/sip.secret"
  fi
}

install_service() {
  run mkdir -p "$ROOT/etc/systemd/system" "$ROOT/etc/udev/rules.d"
  run install -m 0644 -o 0 -g 0 "$SRC/systemd/intercom.service" "$ROOT$UNIT"
  write_file "$ROOT$UDEV_RULE" 0644 <<'EOF'
# GPIO character devices for members of the gpio group (the door station's
# button and opener). Installed by the intercom installer.
SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"
EOF
  if [[ -n "$ROOT" ]]; then
    # What `systemctl enable` does, without a running systemd.
    run mkdir -p "$(dirname "$ROOT$WANTS_LINK")"
    run ln -sfn "$UNIT" "$ROOT$WANTS_LINK"
    return
  fi
  if [[ -d /run/systemd/system ]]; then
    run udevadm control --reload-rules
    run udevadm trigger --subsystem-match=gpio
    run systemctl daemon-reload
    run systemctl enable intercom.service
  else
    say "systemd is not running here; enabling by link only"
    run mkdir -p "$(dirname "$WANTS_LINK")"
    run ln -sfn "$UNIT" "$WANTS_LINK"
  fi
}

start_service() {
  [[ -z "$ROOT" && $START -eq 1 && -d /run/systemd/system ]] || return 0
  if [[ $DRY_RUN -eq 1 ]]; then
    echo "would run: systemctl restart intercom.service (if intercom check passes)"
    return
  fi
  if runuser -u "$USER_NAME" -- "$BIN_LINK" check --config "$ETC_DIR/config.yaml"; then
    run systemctl restart intercom.service
  else
    say "not starting: fix the config above, then: sudo systemctl restart intercom"
  fi
}

uninstall() {
  if [[ -z "$ROOT" && -d /run/systemd/system ]]; then
    run systemctl disable --now intercom.service || true
  fi
  run rm -f "$ROOT$WANTS_LINK" "$ROOT$UNIT" "$ROOT$UDEV_RULE" "$ROOT$BIN_LINK"
  run rm -rf "$ROOT$PREFIX_DIR" "$ROOT$PREFIX_DIR.new" "$ROOT$PREFIX_DIR.old"
  if [[ -z "$ROOT" && -d /run/systemd/system ]]; then
    run systemctl daemon-reload
  fi
  if [[ $PURGE -eq 1 ]]; then
    run rm -rf "$ROOT$ETC_DIR" "$ROOT$STATE_DIR"
    if has_user "$USER_NAME"; then run userdel "${prefix_args[@]}" "$USER_NAME"; fi
    say "removed; config, state and user are gone"
  else
    say "removed; kept $ETC_DIR, $STATE_DIR and the user $USER_NAME (--purge removes them)"
  fi
}

main() {
  check_root "$@"
  if [[ $UNINSTALL -eq 1 ]]; then
    uninstall
    return
  fi
  check_os
  install_packages
  check_source
  create_user
  install_program
  install_config
  install_service
  start_service
  [[ $DRY_RUN -eq 1 ]] && { say "dry run: nothing was changed"; return; }
  say "installed $("$ROOT$PREFIX_DIR/bin/intercom" --version 2>/dev/null || echo '')"
  cat <<EOF
Next steps:
  1. put the SIP password into $ETC_DIR/sip.secret (one line)
  2. edit $ETC_DIR/config.yaml (sip.server, sip.user, buttons, door.codes)
  3. sudo -u $USER_NAME intercom check --config $ETC_DIR/config.yaml
  4. sudo systemctl restart intercom; then: intercom doctor
EOF
}

main "$@"
