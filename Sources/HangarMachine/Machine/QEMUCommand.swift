public import HangarCore

/// Everything needed to start one machine's QEMU, resolved to local files and ports.
public struct MachinePlan: Sendable {
    /// The machine as hangar.yml describes it.
    public var spec: MachineSpec
    /// The state folder.
    public var folder: String
    /// The qcow2 overlay (nil for a diskless kernel+initrd machine).
    public var overlay: String?
    /// The cloud-init seed, when Hangar injects the key.
    public var seed: String?
    /// Local kernel and initrd for direct kernel boot.
    public var kernel: String?
    /// Local initrd.
    public var initrd: String?
    /// `kvm` or `tcg`.
    public var accel: String
    /// Host port for the guest's SSH.
    public var sshPort: Int
    /// Forwards with the host ports to use.
    public var ports: [PortForward]
    /// The cached file the machine boots from, so `images prune` keeps it.
    public var backingImage: String?
    /// A saved machine state to start from instead of booting (`SavedState`).
    public var incoming: String?

    /// A plan with every field given.
    public init(
        spec: MachineSpec,
        folder: String,
        overlay: String?,
        seed: String?,
        kernel: String?,
        initrd: String?,
        accel: String,
        sshPort: Int,
        ports: [PortForward],
        backingImage: String?
    ) {
        self.spec = spec
        self.folder = folder
        self.overlay = overlay
        self.seed = seed
        self.kernel = kernel
        self.initrd = initrd
        self.accel = accel
        self.sshPort = sshPort
        self.ports = ports
        self.backingImage = backingImage
    }
}

/// Builds QEMU's command line from a plan. Pure, so it is tested without QEMU.
public enum QEMUCommand {
    /// The arguments, starting with the QEMU executable's name.
    public static func arguments(for plan: MachinePlan) -> [String] {
        let spec = plan.spec
        var arguments = [
            "qemu-system-x86_64",
            "-name", "hangar-\(spec.name)",
            "-machine", "q35,accel=\(plan.accel)",
            "-cpu", plan.accel == "kvm" ? "host" : "max",
            "-m", "\(spec.memory.mebibytes)",
            "-smp", "\(spec.cpus)",
            "-nodefaults", "-no-user-config", "-display", "none",
            "-serial", "file:\(plan.folder)/serial.log",
            "-qmp", "unix:\(plan.folder)/qmp.sock,server=on,wait=off",
            "-device", "virtio-rng-pci",
        ]
        if let overlay = plan.overlay {
            arguments += ["-drive", "file=\(overlay),if=virtio,format=qcow2,discard=unmap"]
        }
        if let seed = plan.seed {
            // Debian's cloud kernel has no AHCI driver: a cdrom seed would be invisible, a virtio disk is not.
            arguments += ["-drive", "file=\(seed),if=virtio,format=raw,readonly=on"]
        }
        let forwards = [PortForward(host: plan.sshPort, guest: 22)] + plan.ports
        let hostfwd = forwards.map { ",hostfwd=tcp:127.0.0.1:\($0.host)-:\($0.guest)" }.joined()
        arguments += ["-netdev", "user,id=net0\(hostfwd)", "-device", "virtio-net-pci,netdev=net0"]
        arguments += spec.network?.qemuArguments(folder: plan.folder) ?? []
        if let kernel = plan.kernel {
            arguments += ["-kernel", kernel]
            if let initrd = plan.initrd { arguments += ["-initrd", initrd] }
            // no_timer_check: under TCG on a busy host the kernel's IO-APIC timer check can fail and panic.
            arguments += ["-append", spec.append ?? "console=ttyS0 no_timer_check"]
        }
        if let share = spec.share {
            arguments += ["-virtfs", "local,path=\(share),mount_tag=hangar,security_model=none,id=share0"]
        }
        if let state = plan.incoming {
            // QEMU 7.2 has no `file:` migration; it reads the state from a command's output.
            arguments += ["-incoming", "exec:zstd -d -c -q \(ShellQuote.quote(state))"]
        }
        return arguments
    }
}
