#!/usr/bin/env bash
# Installs what Hangar and its tests need on Debian (run as root, or with sudo available), then builds.
set -euo pipefail
packages=(qemu-system-x86 qemu-utils openssh-client genisoimage xz-utils zstd python3 git
    # for the API fuzzing (schemathesis, from PyPI, in a virtual environment)
    python3-venv curl
    # for the web UI's browser tests (WebDriver)
    chromium chromium-driver
    # for the store's tests on PostgreSQL (a throwaway cluster each run) and the worker's network faults
    postgresql iproute2
    # for the message-bus client and triggers (a throwaway RabbitMQ node each run)
    rabbitmq-server
    # for notifications: curl sends e-mail over SMTP; the tests receive it with aiosmtpd
    python3-aiosmtpd
    # for building the test guest: cpio, FAT tools, syslinux, sfdisk
    cpio dosfstools mtools syslinux syslinux-common fdisk
    # for building the Debian guest (snapshot tests, boot benchmark)
    debootstrap e2fsprogs)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
sudo=""
[[ $(id -u) == 0 ]] || sudo="sudo"
# apt-get update also makes 'apt-get download' (used by the test guest build) find current packages.
$sudo apt-get update -qq
if ((${#missing[@]})); then
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
    # Debian starts the system's RabbitMQ when it is installed; the tests start nodes of their own.
    if [[ " ${missing[*]} " == *" rabbitmq-server "* ]]; then
        $sudo service rabbitmq-server stop >/dev/null 2>&1 || true
        $sudo epmd -kill >/dev/null 2>&1 || true
    fi
fi
swift build
