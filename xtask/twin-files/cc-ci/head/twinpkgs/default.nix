# The twin's stand-in for nixpkgs: only the packages the cc-ci flake uses. Tools are built
# with `builtins.derivation` (builder /bin/sh, no sandbox) from the host's own Debian
# binaries, under their nixpkgs names and the installed Debian versions; abra and docker,
# which Debian lacks, are small stand-in scripts. `import ./twinpkgs { overlays = [ … ]; }`.
{ overlays ? [ ] }:
let
  lib = import ./lib.nix;
  # Written when the twin's checkout is made: the system and every Debian package's
  # upstream version (`dpkg-query`), since pure evaluation cannot read /var/lib/dpkg.
  debian = import ./debian.nix;
  inherit (debian) system;

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
    # (copied; symlinks within the same directory kept), like nixpkgs' `bin/`.
    debianTool = { pname, debs, version ? debian.versions.${builtins.head debs}, links ? { } }:
      mkDerivation {
        name = "${pname}-${version}";
        inherit pname version;
        args = [ "-e" ./builders/debian-tool.sh ];
        debs = lib.concatStringsSep " " debs;
        links = lib.concatStringsSep " " (lib.mapAttrsToList (n: t: "${n}=${t}") links);
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

    # --- tools (nixpkgs attribute names) ---
    bash = final.debianTool { pname = "bash"; debs = [ "bash" ]; links = { sh = "bash"; }; };
    coreutils = final.debianTool { pname = "coreutils"; debs = [ "coreutils" ]; };
    util-linux = final.debianTool { pname = "util-linux"; debs = [ "util-linux" "bsdutils" "mount" ]; };
    git = final.debianTool { pname = "git"; debs = [ "git" ]; };
    git-lfs = final.debianTool { pname = "git-lfs"; debs = [ "git-lfs" ]; };
    curl = final.debianTool { pname = "curl"; debs = [ "curl" ]; };
    jq = final.debianTool { pname = "jq"; debs = [ "jq" ]; };
    gnused = final.debianTool { pname = "gnused"; debs = [ "sed" ]; };
    gnugrep = final.debianTool { pname = "gnugrep"; debs = [ "grep" ]; };
    gnutar = final.debianTool { pname = "gnutar"; debs = [ "tar" ]; };
    openssl = final.debianTool { pname = "openssl"; debs = [ "openssl" ]; };
    procps = final.debianTool { pname = "procps"; debs = [ "procps" ]; };
    openssh = final.debianTool { pname = "openssh"; debs = [ "openssh-client" "openssh-server" ]; };
    findutils = final.debianTool { pname = "findutils"; debs = [ "findutils" ]; };
    diffutils = final.debianTool { pname = "diffutils"; debs = [ "diffutils" ]; };
    gzip = final.debianTool { pname = "gzip"; debs = [ "gzip" ]; };
    less = final.debianTool { pname = "less"; debs = [ "less" ]; };
    mawk = final.debianTool { pname = "mawk"; debs = [ "mawk" ]; links = { awk = "mawk"; }; };
    hostname = final.debianTool { pname = "hostname"; debs = [ "hostname" ]; };
    iproute2 = final.debianTool { pname = "iproute2"; debs = [ "iproute2" ]; };
    getent = final.debianTool { pname = "getent"; debs = [ "libc-bin" ]; };
    which = final.debianTool { pname = "debianutils"; debs = [ "debianutils" ]; links = { which = "which.debianutils"; }; };
    systemd = final.debianTool { pname = "systemd"; debs = [ "systemd" "systemd-sysv" ]; };
    nix = final.debianTool { pname = "nix"; debs = [ "nix-bin" ]; };

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
    playwright-driver = {
      browsers = mkDerivation {
        name = "playwright-browsers-chromium";
        src = ./standins/playwright-browsers;
        args = [ "-c" "cp -R $src $out" ];
      };
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
