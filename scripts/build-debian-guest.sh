#!/usr/bin/env bash
# Builds a real Debian 12 guest — systemd, cloud-init, OpenSSH, Debian's cloud kernel — from Debian's
# packages with debootstrap, for the snapshot tests and the boot benchmark (the busybox test guest
# cannot show where a real distribution spends its boot). Needs root (debootstrap chroots).
#
#   OUT/disk.qcow2            ext4 root file system on the whole disk (no partition table, no boot loader)
#   OUT/vmlinuz, OUT/initrd.img   the guest's own kernel and initramfs, for direct kernel boot with
#                             append "root=/dev/vda rw console=ttyS0 no_timer_check"
#
# Like Debian's cloud images, it has no user and no password: cloud-init creates the login user from
# Hangar's NoCloud seed (its only data source here) and brings up the network with systemd-networkd.
# Downloaded packages are kept in /var/cache/hangar/debootstrap so a rebuild does not fetch them again.
# Usage: scripts/build-debian-guest.sh [OUT]   (default: .build/debian-guest). Idempotent. A few minutes.
set -euo pipefail

out="${1:-.build/debian-guest}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
if [[ -f "$out/disk.qcow2" && "$out/disk.qcow2" -nt "$0" ]]; then
    echo "debian guest: up to date in $out"
    exit 0
fi
for tool in debootstrap mkfs.ext4 qemu-img; do
    command -v "$tool" >/dev/null || { echo "debian guest: '$tool' is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "debian guest: debootstrap needs root (run with sudo)" >&2; exit 1; }

mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
cache=/var/cache/hangar/debootstrap
mkdir -p "$cache"
work="$(mktemp -d)"
trap 'umount -R "$work/root/proc" "$work/root/sys" 2>/dev/null || true; rm -rf "$work"' EXIT
root="$work/root"

# python3-cffi-backend: debootstrap does not resolve the virtual package python3-cryptography needs.
packages=systemd-sysv,udev,dbus,linux-image-cloud-amd64,initramfs-tools,openssh-server,cloud-init,python3-cffi-backend,sudo,iproute2,procps
debootstrap --variant=minbase --include="$packages" --cache-dir="$cache" bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    echo "debian guest: debootstrap failed (full log above, last lines)" >&2
    exit 1
}

echo hangar-debian > "$root/etc/hostname"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' > "$root/etc/fstab"
cat > "$root/etc/systemd/network/20-wired.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=yes
EOF
cat > "$root/etc/cloud/cloud.cfg.d/90-hangar.cfg" <<'EOF'
# Hangar's seed is a NoCloud volume; do not probe cloud metadata services.
datasource_list: [NoCloud, None]
# systemd-networkd already configures the network (20-wired.network).
network: {config: disabled}
EOF
chroot "$root" systemctl enable systemd-networkd >/dev/null 2>&1
# Every machine gets its own machine-id and host keys on its first boot.
: > "$root/etc/machine-id"
rm -f "$root"/etc/ssh/ssh_host_*
cat > "$root/etc/systemd/system/ssh-host-keys.service" <<'EOF'
[Unit]
Description=Generate missing SSH host keys
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
EOF
chroot "$root" systemctl enable ssh-host-keys.service >/dev/null 2>&1
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*

cp "$root"/boot/vmlinuz-* "$work/vmlinuz"
cp "$root"/boot/initrd.img-* "$work/initrd.img"
chmod 644 "$work/vmlinuz" "$work/initrd.img"
mkfs.ext4 -q -L root -d "$root" "$work/disk.raw" 3G
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2"
mv "$work/vmlinuz" "$work/initrd.img" "$work/disk.qcow2" "$out/"
echo "debian guest: built in $out ($(du -h "$out/disk.qcow2" | cut -f1) disk)"
