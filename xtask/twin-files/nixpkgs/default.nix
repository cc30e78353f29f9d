# The twin's stand-in for nixpkgs: only the packages the cc-ci flake uses. Tools are built
# with `builtins.derivation` (builder /bin/sh, no sandbox) from the host's own Debian
# binaries, under their nixpkgs names and the installed Debian versions; abra and docker,
# which Debian lacks, are small stand-in scripts. `import <this directory> { overlays = [ … ]; }`.
{ overlays ? [ ] }:
let
  lib = import ./lib.nix;
  # Written when the twin's checkout is made: the system and every Debian package's
  # upstream version (`dpkg-query`), since pure evaluation cannot read /var/lib/dpkg.
  debian = import ./debian.nix;
  inherit (debian) system;

  # coreutils' programs, as nixpkgs installs them (Debian adds arch, with
  # --enable-install-program=arch, and md5sum.textutils; nixpkgs' single binary `coreutils`
  # and its kill and uptime, which Debian's build leaves to procps, are missing here).
  coreutilsCommands = [
    "[" "b2sum" "base32" "base64" "basename" "basenc" "cat" "chcon" "chgrp" "chmod" "chown" "chroot"
    "cksum" "comm" "cp" "csplit" "cut" "date" "dd" "df" "dir" "dircolors" "dirname" "du" "echo" "env" "expand"
    "expr" "factor" "false" "fmt" "fold" "groups" "head" "hostid" "id" "install" "join" "link" "ln" "logname" "ls"
    "md5sum" "mkdir" "mkfifo" "mknod" "mktemp" "mv" "nice" "nl" "nohup" "nproc" "numfmt" "od" "paste" "pathchk"
    "pinky" "pr" "printenv" "printf" "ptx" "pwd" "readlink" "realpath" "rm" "rmdir" "runcon" "seq" "sha1sum"
    "sha224sum" "sha256sum" "sha384sum" "sha512sum" "shred" "shuf" "sleep" "sort" "split" "stat" "stdbuf" "stty"
    "sum" "sync" "tac" "tail" "tee" "test" "timeout" "touch" "tr" "true" "truncate" "tsort" "tty" "uname"
    "unexpand" "uniq" "unlink" "users" "vdir" "wc" "who" "whoami" "yes"
  ];

  mkDerivation = args: derivation ({
    inherit system;
    builder = "/bin/sh";
    # Builders run unsandboxed; this PATH is the build host's, never a runtime PATH.
    PATH = "/usr/bin:/bin";
  } // args);

  base = final: {
    inherit lib system mkDerivation;
    # Where this package set's sources are (nixpkgs' `pkgs.path`; its NixOS modules under it).
    path = ./.;

    # A package made of the executables that Debian packages install in bin/ and sbin/
    # (copied; symlinks within the same directory kept), like nixpkgs' `bin/`. `commands`
    # lists the ones nixpkgs' package has (bin/ and sbin/ names as nixpkgs gives them):
    # Debian-only commands stay out, and a listed one Debian lacks fails the build; `links`
    # adds names Debian installs under another one (`awk = "gawk"`). Without `commands`,
    # everything the Debian packages install.
    debianTool = { pname, debs, version ? debian.versions.${builtins.head debs}, links ? { }, commands ? [ ] }:
      mkDerivation {
        name = "${pname}-${version}";
        inherit pname version;
        args = [ "-e" ./builders/debian-tool.sh ];
        debs = lib.concatStringsSep " " debs;
        links = lib.concatStringsSep " " (lib.mapAttrsToList (n: t: "${n}=${t}") links);
        commands = lib.concatStringsSep " " commands;
      };

    writeTextFile = { name, text, executable ? false, destination ? "" }:
      mkDerivation {
        inherit name text executable destination;
        passAsFile = [ "text" ];
        args = [ "-e" ./builders/write-text.sh ];
      };

    writeText = name: text: final.writeTextFile { inherit name text; };

    writeShellScript = name: text: final.writeTextFile {
      inherit name;
      executable = true;
      text = "#!${final.runtimeShell}\n${text}\n";
    };

    writeShellScriptBin = name: text: final.writeTextFile {
      inherit name;
      executable = true;
      destination = "/bin/${name}";
      text = "#!${final.runtimeShell}\n${text}\n";
    };

    # nixpkgs' writeShellApplication: strict bash, runtimeInputs prepended to PATH.
    writeShellApplication = { name, text, runtimeInputs ? [ ] }: final.writeTextFile {
      inherit name;
      executable = true;
      destination = "/bin/${name}";
      text = ''
        #!${final.runtimeShell}
        set -o errexit
        set -o nounset
        set -o pipefail
      '' + lib.optionalString (runtimeInputs != [ ]) ''

        export PATH="${lib.makeBinPath runtimeInputs}:$PATH"
      '' + ''

        ${text}
      '';
    };

    # nixpkgs' buildEnv, as NixOS uses it for `system-path`: the union of the packages'
    # bin/ as symlinks; on a name collision the first package wins (ignoreCollisions).
    buildEnv = { name, paths }: mkDerivation {
      inherit name;
      paths = lib.concatStringsSep " " (map toString paths);
      args = [ "-e" ./builders/build-env.sh ];
    };

    runtimeShell = "${final.bash}/bin/bash";

    # --- tools (nixpkgs attribute names, pnames and bin/ + sbin/ command names) ---
    # Single-output: nixpkgs' `bin` outputs (xz, bzip2, curl, …) and glibc's are one store
    # path each here. Commands nixpkgs' package has that Debian puts in a package the twin
    # lacks are missing (see xtask/twin-files/README.md); Debian-only ones are left out.
    bash = final.debianTool { pname = "bash"; debs = [ "bash" ]; links = { sh = "bash"; }; commands = [ "bash" "sh" ]; };
    # nixpkgs' bashInteractive (bash with readline) keeps bashbug; Debian's bash is interactive.
    bashInteractive = final.debianTool {
      pname = "bash-interactive"; debs = [ "bash" ]; links = { sh = "bash"; }; commands = [ "bash" "bashbug" "sh" ];
    };
    coreutils = final.debianTool { pname = "coreutils"; debs = [ "coreutils" ]; commands = coreutilsCommands; };
    coreutils-full = final.debianTool { pname = "coreutils-full"; debs = [ "coreutils" ]; commands = coreutilsCommands; };
    # nixpkgs builds util-linux without su (shadow's) and names rename `rename` (Debian: rename.ul).
    util-linux = final.debianTool {
      pname = "util-linux"; debs = [ "util-linux" "bsdutils" "mount" ]; links = { rename = "rename.ul"; };
      commands = [
        "addpart" "agetty" "blkdiscard" "blkid" "blkzone" "blockdev" "chcpu" "chmem" "choom" "chrt" "ctrlaltdel"
        "delpart" "dmesg" "fallocate" "findfs" "findmnt" "flock" "fsck" "fsck.cramfs" "fsck.minix" "fsfreeze" "fstrim"
        "getopt" "hardlink" "i386" "ionice" "ipcmk" "ipcrm" "ipcs" "isosize" "last" "lastb" "ldattach" "linux32"
        "linux64" "logger" "losetup" "lsblk" "lscpu" "lsipc" "lslocks" "lslogins" "lsmem" "lsns" "mcookie" "mesg"
        "mkfs" "mkfs.bfs" "mkfs.cramfs" "mkfs.minix" "mkswap" "more" "mount" "mountpoint" "namei" "nsenter" "partx"
        "pivot_root" "prlimit" "readprofile" "rename" "renice" "resizepart" "rev" "rtcwake" "runuser" "script"
        "scriptlive" "scriptreplay" "setarch" "setpriv" "setsid" "setterm" "sulogin" "swaplabel" "swapoff" "swapon"
        "switch_root" "taskset" "uclampset" "umount" "unshare" "utmpdump" "wall" "wdctl" "whereis" "wipefs"
        "x86_64" "zramctl"
      ];
    };
    git = final.debianTool { pname = "git"; debs = [ "git" ]; };
    git-lfs = final.debianTool { pname = "git-lfs"; debs = [ "git-lfs" ]; };
    curl = final.debianTool { pname = "curl"; debs = [ "curl" ]; commands = [ "curl" ]; };
    jq = final.debianTool { pname = "jq"; debs = [ "jq" ]; };
    gnused = final.debianTool { pname = "gnused"; debs = [ "sed" ]; commands = [ "sed" ]; };
    # Debian adds rgrep.
    gnugrep = final.debianTool { pname = "gnugrep"; debs = [ "grep" ]; commands = [ "egrep" "fgrep" "grep" ]; };
    # Debian adds rmt-tar and tarcat (nixpkgs' rmt is in libexec/).
    gnutar = final.debianTool { pname = "gnutar"; debs = [ "tar" ]; commands = [ "tar" ]; };
    openssl = final.debianTool { pname = "openssl"; debs = [ "openssl" ]; };
    # Debian builds skill and snice (--enable-skill); upstream and nixpkgs do not.
    procps = final.debianTool {
      pname = "procps"; debs = [ "procps" ];
      commands = [
        "free" "kill" "pgrep" "pidwait" "pkill" "pmap" "ps" "pwdx" "slabtop" "sysctl" "tload" "top" "uptime"
        "vmstat" "w" "watch"
      ];
    };
    # Debian adds slogin and ssh-argv0.
    openssh = final.debianTool {
      pname = "openssh"; debs = [ "openssh-client" "openssh-server" ];
      commands = [ "scp" "sftp" "ssh" "ssh-add" "ssh-agent" "ssh-copy-id" "ssh-keygen" "ssh-keyscan" "sshd" ];
    };
    findutils = final.debianTool { pname = "findutils"; debs = [ "findutils" ]; commands = [ "find" "xargs" ]; };
    diffutils = final.debianTool { pname = "diffutils"; debs = [ "diffutils" ]; commands = [ "cmp" "diff" "diff3" "sdiff" ]; };
    gzip = final.debianTool {
      pname = "gzip"; debs = [ "gzip" ];
      commands = [
        "gunzip" "gzexe" "gzip" "uncompress" "zcat" "zcmp" "zdiff" "zegrep" "zfgrep" "zforce" "zgrep" "zless" "zmore"
        "znew"
      ];
    };
    # Debian adds lessfile and lesspipe.
    less = final.debianTool { pname = "less"; debs = [ "less" ]; commands = [ "less" "lessecho" "lesskey" ]; };
    gawk = final.debianTool { pname = "gawk"; debs = [ "gawk" ]; links = { awk = "gawk"; }; commands = [ "awk" "gawk" ]; };
    # Debian's hostname is the package nixpkgs calls hostname-debian.
    hostname-debian = final.debianTool {
      pname = "hostname-debian"; debs = [ "hostname" ];
      commands = [ "dnsdomainname" "domainname" "hostname" "nisdomainname" "ypdomainname" ];
    };
    hostname = final.hostname-debian;
    iproute2 = final.debianTool {
      pname = "iproute2"; debs = [ "iproute2" ];
      commands = [
        "arpd" "bridge" "ctstat" "dcb" "devlink" "genl" "ip" "lnstat" "nstat" "rdma" "routel" "rtacct" "rtmon"
        "rtstat" "ss" "tc" "tipc" "vdpa"
      ];
    };
    # stdenv.cc.libc: glibc's programs (nixpkgs' `bin` output). Debian adds the ld.so link.
    glibc = final.debianTool {
      pname = "glibc"; debs = [ "libc-bin" ];
      commands = [
        "getconf" "getent" "iconv" "iconvconfig" "ldconfig" "ldd" "locale" "localedef" "pldd" "tzselect" "zdump"
        "zic"
      ];
    };
    stdenv.cc.libc = final.glibc;
    # nixpkgs' getent and getconf are glibc's programs (`lib.getBin stdenv.cc.libc` on glibc systems).
    getent = final.glibc;
    getconf = final.glibc;
    # GNU which is not in Debian: debianutils' which (a POSIX sh script, `which.debianutils`)
    # stands in, under the name `which` only; the version is debianutils'.
    which = final.debianTool {
      pname = "which"; debs = [ "debianutils" ]; links = { which = "which.debianutils"; }; commands = [ "which" ];
    };
    acl = final.debianTool { pname = "acl"; debs = [ "acl" ]; commands = [ "chacl" "getfacl" "setfacl" ]; };
    attr = final.debianTool { pname = "attr"; debs = [ "attr" ]; commands = [ "attr" "getfattr" "setfattr" ]; };
    # Debian adds bzexe.
    bzip2 = final.debianTool {
      pname = "bzip2"; debs = [ "bzip2" ];
      commands = [
        "bunzip2" "bzcat" "bzcmp" "bzdiff" "bzegrep" "bzfgrep" "bzgrep" "bzip2" "bzip2recover" "bzless" "bzmore"
      ];
    };
    # Debian adds mt-gnu.
    cpio = final.debianTool { pname = "cpio"; debs = [ "cpio" ]; commands = [ "cpio" ]; };
    gnupatch = final.debianTool { pname = "gnupatch"; debs = [ "patch" ]; commands = [ "patch" ]; };
    # Debian installs the lzma names as alternatives (not package files) and xzdec apart.
    xz = final.debianTool {
      pname = "xz"; debs = [ "xz-utils" "xzdec" ];
      links = {
        lzcat = "xz"; lzma = "xz"; unlzma = "xz"; lzcmp = "xzdiff"; lzdiff = "xzdiff"; lzegrep = "xzgrep";
        lzfgrep = "xzgrep"; lzgrep = "xzgrep"; lzless = "xzless"; lzmore = "xzmore";
      };
      commands = [
        "lzcat" "lzcmp" "lzdiff" "lzegrep" "lzfgrep" "lzgrep" "lzless" "lzma" "lzmadec" "lzmainfo" "lzmore" "unlzma"
        "unxz" "xz" "xzcat" "xzcmp" "xzdec" "xzdiff" "xzegrep" "xzfgrep" "xzgrep" "xzless" "xzmore"
      ];
    };
    zstd = final.debianTool {
      pname = "zstd"; debs = [ "zstd" ];
      commands = [ "pzstd" "unzstd" "zstd" "zstdcat" "zstdgrep" "zstdless" "zstdmt" ];
    };
    libcap = final.debianTool { pname = "libcap"; debs = [ "libcap2-bin" ]; commands = [ "capsh" "getcap" "getpcaps" "setcap" ]; };
    ncurses = final.debianTool {
      pname = "ncurses"; debs = [ "ncurses-bin" ];
      commands = [ "captoinfo" "clear" "infocmp" "infotocap" "reset" "tabs" "tic" "toe" "tput" "tset" ];
    };
    # nixpkgs' netcat is libressl's nc (an OpenBSD nc port); Debian's closest is
    # netcat-openbsd (OpenBSD's nc with Debian patches), installed as nc.openbsd. Its version.
    netcat = final.debianTool {
      pname = "libressl"; debs = [ "netcat-openbsd" ]; links = { nc = "nc.openbsd"; }; commands = [ "nc" ];
    };
    # nixpkgs' mkpasswd is built from whois' source, as Debian's (in the whois package).
    mkpasswd = final.debianTool {
      pname = "mkpasswd"; debs = [ "whois" ]; version = debian.versions.whois; commands = [ "mkpasswd" ];
    };
    # nixpkgs' su is shadow's; Debian's su is util-linux's (shadow's was dropped in bullseye):
    # that binary, under shadow's name and version (Debian's passwd package).
    su = final.debianTool {
      pname = "shadow"; debs = [ "util-linux" ]; version = debian.versions.passwd; commands = [ "su" ];
    };
    time = final.debianTool { pname = "time"; debs = [ "time" ]; commands = [ "time" ]; };
    perl = final.debianTool {
      pname = "perl"; debs = [ "perl" "perl-base" ];
      commands = [
        "corelist" "cpan" "enc2xs" "encguess" "h2ph" "h2xs" "instmodsh" "json_pp" "libnetcfg" "perl"
        "perl${debian.versions.perl}" "perlbug" "perldoc" "perlivp" "perlthanks" "piconv" "pl2pm" "pod2html"
        "pod2man" "pod2text" "pod2usage" "podchecker" "prove" "ptar" "ptardiff" "ptargrep" "shasum" "splain"
        "streamzip" "xsubpp" "zipdetails"
      ];
    };
    # Debian adds rrsync (nixpkgs has it as its own package, rrsync).
    rsync = final.debianTool { pname = "rsync"; debs = [ "rsync" ]; commands = [ "rsync" "rsync-ssl" ]; };
    strace = final.debianTool { pname = "strace"; debs = [ "strace" ]; commands = [ "strace" "strace-log-merge" ]; };
    nano = final.debianTool { pname = "nano"; debs = [ "nano" ]; commands = [ "nano" "rnano" ]; };
    # Debian adds kbd's contrib programs (codepage, mk_modmap, resizecons, screendump, splitfont, vcstime).
    kbd = final.debianTool {
      pname = "kbd"; debs = [ "kbd" ];
      commands = [
        "chvt" "deallocvt" "dumpkeys" "fgconsole" "getkeycodes" "kbd_mode" "kbdinfo" "kbdrate" "loadkeys"
        "loadunimap" "mapscrn" "openvt" "psfaddtable" "psfgettable" "psfstriptable" "psfxtable" "setfont"
        "setkeycodes" "setleds" "setlogcons" "setmetamode" "setvesablank" "setvtrgb" "showconsolefont" "showkey"
        "unicode_start" "unicode_stop"
      ];
    };
    sudo = final.debianTool {
      pname = "sudo"; debs = [ "sudo" ];
      commands = [ "cvtsudoers" "sudo" "sudo_logsrvd" "sudo_sendlog" "sudoedit" "sudoreplay" "visudo" ];
    };
    systemd = final.debianTool {
      pname = "systemd"; debs = [ "systemd" "systemd-sysv" ];
      commands = [
        "busctl" "halt" "hostnamectl" "init" "journalctl" "kernel-install" "localectl" "loginctl" "networkctl"
        "poweroff" "reboot" "runlevel" "shutdown" "systemctl" "systemd" "systemd-analyze" "systemd-ask-password"
        "systemd-cat" "systemd-cgls" "systemd-cgtop" "systemd-creds" "systemd-cryptenroll" "systemd-delta"
        "systemd-detect-virt" "systemd-escape" "systemd-firstboot" "systemd-id128" "systemd-inhibit"
        "systemd-machine-id-setup" "systemd-mount" "systemd-notify" "systemd-path" "systemd-repart" "systemd-run"
        "systemd-socket-activate" "systemd-stdio-bridge" "systemd-sysext" "systemd-sysusers" "systemd-tmpfiles"
        "systemd-tty-ask-password-agent" "systemd-umount" "telinit" "timedatectl"
      ];
    };
    nix = final.debianTool {
      pname = "nix"; debs = [ "nix-bin" ];
      commands = [
        "nix" "nix-build" "nix-channel" "nix-collect-garbage" "nix-copy-closure" "nix-daemon" "nix-env" "nix-hash"
        "nix-instantiate" "nix-prefetch-url" "nix-shell" "nix-store"
      ];
    };

    # Not in Debian: stand-ins that answer like the real tools for what cc-ci calls.
    abra = final.standIn { pname = "abra"; version = "0.13.0-beta"; script = ./standins/abra.sh; };
    docker = final.standIn { pname = "docker"; version = "27.5.1"; script = ./standins/docker.sh; };
    hello = final.standIn { pname = "hello"; version = "2.12.1"; script = ./standins/hello.sh; };
    standIn = { pname, version, script }: mkDerivation {
      name = "${pname}-${version}";
      inherit pname version script;
      args = [ "-e" ./builders/stand-in.sh ];
    };

    # python3 with nixpkgs' `withPackages`: a venv-style env (`python3-<ver>-env`) over the
    # host's interpreter whose site-packages holds exactly the chosen packages.
    python3 = {
      version = debian.versions.python3;
      pkgs = {
        pytest.debs = [
          "python3-pytest" "python3-pluggy" "python3-iniconfig" "python3-packaging"
          "python3-attr" "python3-more-itertools" "python3-pkg-resources" "python3-py"
        ];
        # A site-packages tree each (the twin has no browsers: playwright's is a stand-in).
        playwright.stub = ./standins/python/playwright;
        # A second pytest (7.4): with pytest it collides, as in nixpkgs.
        pytest_7.stub = ./standins/python/pytest_7;
      };
      withPackages = choose:
        let chosen = choose final.python3.pkgs; in
        mkDerivation {
          name = "python3-${final.python3.version}-env";
          debs = lib.concatStringsSep " " (builtins.concatLists (map (p: p.debs or [ ]) chosen));
          stubs = lib.concatStringsSep " " (map (p: "${p.stub}") (builtins.filter (p: p ? stub) chosen));
          args = [ "-e" ./builders/python-env.sh ];
        };
    };

    # nixpkgs' playwright-driver.browsers: the browser builds playwright downloads, as one
    # store path (PLAYWRIGHT_BROWSERS_PATH points at it). Stand-ins: the twin drives no browser.
    # Like nixpkgs' (a `makeOverridable` linkFarm), `.override { withChromium = false; … }`
    # leaves builds out; the twin has stand-ins for chromium and ffmpeg only, so the other
    # builds nixpkgs can add are accepted and have nothing to add.
    playwright-driver = {
      browsers =
        let
          browsers = { withChromium ? true, withFfmpeg ? true, withFirefox ? true, withWebkit ? true, withChromiumHeadlessShell ? true }:
            if withChromium && withFfmpeg then
              mkDerivation {
                name = "playwright-browsers-chromium";
                src = ./standins/playwright-browsers;
                args = [ "-c" "cp -R $src $out" ];
              }
            else
              mkDerivation {
                name = "playwright-browsers";
                src = ./standins/playwright-browsers;
                builds = builtins.concatStringsSep " "
                  ((if withChromium then [ "chromium-1148" ] else [ ]) ++ (if withFfmpeg then [ "ffmpeg-1010" ] else [ ]));
                args = [ "-c" "mkdir $out; for b in $builds; do cp -R $src/$b $out/; done" ];
              };
        in
        browsers { } // { override = args: browsers args; };
    };

    # The Drone exec runner: the twin's runner (a Python program of the twin host, which
    # also carries the twin of Drone's API) behind nixpkgs' package name.
    drone-runner-exec = final.writeShellScriptBin "drone-runner-exec" ''
      exec /usr/bin/python3 /usr/local/lib/cc-ci-twin/drone/runner.py "$@"
    '';

    nixos-rebuild = final.writeShellApplication {
      name = "nixos-rebuild";
      runtimeInputs = [ final.nix final.git final.coreutils ];
      text = builtins.readFile ./nixos-rebuild.sh;
    };
  };
in
lib.fix (builtins.foldl' (acc: overlay: lib.extends overlay acc) base overlays)
