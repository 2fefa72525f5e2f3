#!/usr/bin/env bash
# Installs the real SIP peers the end-to-end tests talk to: Kamailio as the
# registrar/proxy, baresip as the indoor phone, SIPp for edge cases, sox to
# make and measure audio. Skips apt entirely when everything is present, so a
# warm machine pays nothing.
set -euo pipefail

# kamailio-utils-modules is not needed: htable, auth, registrar, usrloc, tm, rr,
# sl, ctl, pv, textops, siputils, xlog, maxfwd, sanity are all in the base package.
# libasound2: the PortAudio test runs the real naudiodon over an ALSA file device.
# systemd: systemd-analyze verifies the unit offline; python3 listens as NOTIFY_SOCKET.
# pulseaudio, pulseaudio-utils, libasound2-plugins: a null sink paces PortAudio in real time.
# portaudio19-dev: naudiodon built against the system PortAudio, as on arm64/armhf.
# nftables, iproute2: packet loss between network namespaces for the jitter-buffer test;
# iproute2 also makes the namespaces and veth link the interface-outage test takes down.
# libspeexdsp1: echo cancellation and noise suppression (loaded through koffi; no -dev needed).
# socat: pty pairs stand in for serial card readers and keypads.
# mosquitto: the MQTT broker the MQTT tests start on a loopback port (never the system service).
# fuse3, libfuse3-dev, gcc, pkg-config: the fake sysfs GPIO tree (test/support/fake-sysfs-gpio.c)
# is a FUSE filesystem built by the test, mounted at /sys/class/gpio in a private mount namespace.
# python3-pylibsrtp: libsrtp2, an independent SRTP/SRTCP implementation to check ours against.
# tcpdump: captures the SRTP call's RTCP on loopback to show it leaves encrypted.
# ansible-core: the fleet role in deploy/ansible is run against this machine (connection local);
# it uses only ansible.builtin modules, so the much larger collections package is not needed.
PACKAGES=(kamailio sip-tester baresip-core sox libasound2 systemd python3
  pulseaudio pulseaudio-utils libasound2-plugins portaudio19-dev nftables iproute2 libspeexdsp1
  kamailio-tls-modules openssl socat fuse3 libfuse3-dev gcc pkg-config python3-pylibsrtp tcpdump mosquitto ansible-core)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-peers: missing packages (${missing[*]}) and not root; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "install-peers: installing ${missing[*]}" >&2
if ! apt-get update -qq >"$log" 2>&1; then
  cat "$log" >&2
  echo "install-peers: apt-get update failed" >&2
  exit 1
fi
# Recommends pull in desktop audio stacks and a kamailio systemd service; the
# tests need neither.
if ! apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >"$log" 2>&1 </dev/null; then
  cat "$log" >&2
  echo "install-peers: apt-get install ${missing[*]} failed" >&2
  exit 1
fi

for bin in kamailio kamcmd baresip sipp sox systemd-analyze python3 mosquitto mosquitto_passwd ansible-playbook; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    echo "install-peers: '$bin' is still not on PATH after installing ${missing[*]}" >&2
    exit 1
  fi
done
echo "install-peers: done" >&2
