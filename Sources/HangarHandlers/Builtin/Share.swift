import HangarCore
import HangarMachine

/// Makes the host's `share:` folder available at /hangar in the guest.
enum Share {
    /// Mounts the 9p share QEMU exports; when the guest kernel has no 9p (Debian's cloud kernel),
    /// copies the folder in over SSH instead and says so: then changes do not flow back.
    static func attach(_ folder: String, to guest: any GuestShell, emit: @Sendable (RunEvent) -> Void) async throws(HangarError) {
        let sudo = #"if [ "$(id -u)" != 0 ]; then s="sudo -n"; else s=""; fi; "#
        let mount = sudo + "$s mkdir -p /hangar && $s mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 hangar /hangar"
        if try await guest.run(mount).status == 0 { return }
        emit(.notice("the guest cannot mount 9p; copying \(folder) to /hangar instead (one-way, at boot)"))
        let prepare = sudo + #"$s mkdir -p /hangar && $s chown "$(id -u)" /hangar"#
        _ = try await guest.run(prepare)
        try await guest.copyIn(folder + "/.", to: "/hangar")
    }
}
