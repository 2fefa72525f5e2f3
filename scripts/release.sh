#!/usr/bin/env bash
# Packs a built checkout into a release archive that installs offline:
#
#   npm ci && npm run build && scripts/release.sh [--out DIR]
#
# The archive (intercom-VERSION-ARCH.tar.gz, one top folder intercom-VERSION/)
# holds what scripts/install.sh copies, with only the run-time node_modules, plus
# the installer itself and release.json (version, CPU architecture, Node.js
# major). The native add-ons in node_modules are built for this machine's
# architecture and Node.js, so build the archive on a machine like the doors
# (a Pi of the same kind, with the same Node.js major); the Ansible role in
# deploy/ansible refuses an archive whose architecture is not the door's.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: release.sh [--out DIR]

Writes DIR/intercom-VERSION-ARCH.tar.gz (DIR defaults to ./release) from this
checkout, which must be built (npm ci && npm run build). Prints the archive's path.
EOF
}

OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out)
      [[ $# -ge 2 && -n "$2" ]] || { echo "release.sh: --out needs a directory" >&2; exit 2; }
      OUT="$2"
      shift
      ;;
    --out=*) OUT="${1#--out=}" ;;
    -h | --help) usage; exit 0 ;;
    *) echo "release.sh: unknown option $1 (see release.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="${OUT:-$SRC/release}"
die() { echo "release.sh: $*" >&2; exit 1; }

[[ -f "$SRC/dist/cli/main.js" ]] || die "$SRC is not built; run 'npm ci && npm run build' there first"
[[ -d "$SRC/node_modules" ]] || die "$SRC has no node_modules; run 'npm ci' there first"
command -v npm >/dev/null || die "npm is needed to prune the development dependencies"

# The same list as PROGRAM_FILES in install.sh, which copies them from the unpacked archive.
FILES=(bin dist node_modules package.json package-lock.json README.md examples hw systemd)
read -r VERSION ARCH NODE_MAJOR < <(node -e '
  const pkg = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(pkg.version, process.arch, process.versions.node.split(".")[0]);
' "$SRC/package.json")
NAME="intercom-$VERSION"

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/$NAME"
mkdir -p "$stage/scripts"
for f in "${FILES[@]}"; do
  [[ -e "$SRC/$f" ]] && cp -a "$SRC/$f" "$stage/"
done
cp -a "$SRC/scripts/install.sh" "$stage/scripts/"
# Only run-time dependencies (as install.sh does; --install-links as in .npmrc, which is not copied).
npm prune --omit=dev --install-links --no-audit --no-fund --offline --prefix "$stage" --loglevel=error >&2
printf '{"name":"intercom","version":"%s","arch":"%s","node_major":%s}\n' "$VERSION" "$ARCH" "$NODE_MAJOR" >"$stage/release.json"

archive="$OUT/$NAME-$ARCH.tar.gz"
# Owner and order fixed, so the same tree gives the same listing on every machine.
tar -C "$work" --owner=0 --group=0 --numeric-owner --sort=name -czf "$archive.tmp" "$NAME"
mv -f "$archive.tmp" "$archive"
echo "$archive"
