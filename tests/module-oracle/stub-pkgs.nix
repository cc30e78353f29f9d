# The module oracle's package set, shared by both module systems: every package is a plain
# attribute set with nixpkgs' derivation attributes (name, pname, outPath, type), so nothing
# is built; it has what cc-ci's overlay and NixOS' modules use (writeShellApplication,
# python3.withPackages, playwright-driver.browsers, writeShellScript, …) and `appendOverlays`,
# which NixOS' `nixpkgs.pkgs` needs.
let
  hash = "00000000000000000000000000000000";
  stub = pname: { inherit pname; name = "${pname}-1.0"; type = "derivation"; outPath = "/nix/store/${hash}-${pname}-1.0"; };
  named = name: { inherit name; type = "derivation"; outPath = "/nix/store/${hash}-${name}"; };
  tools = [
    "abra" "docker" "git" "git-lfs" "bash" "coreutils" "util-linux" "curl" "jq" "gnused" "gnugrep" "gnutar"
    "openssl" "procps" "openssh" "findutils" "diffutils" "gzip" "less" "mawk" "hostname" "iproute2" "getent"
    "which" "systemd" "nix" "nixos-rebuild" "hello" "drone-runner-exec"
  ];
  base = final: builtins.listToAttrs (map (n: { name = n; value = stub n; }) tools) // {
    _type = "pkgs";
    path = ./.;
    runtimeShell = "/nix/store/${hash}-bash-1.0/bin/bash";
    writeShellApplication = { name, text, runtimeInputs ? [ ] }: named name;
    writeShellScript = name: text: named name;
    writeShellScriptBin = name: text: named name;
    writeText = name: text: named name;
    writeTextFile = { name, ... }: named name;
    python3 = {
      pkgs = { pytest = stub "pytest"; playwright = stub "playwright"; };
      withPackages = choose: named "python3-3.11-env";
    };
    playwright-driver.browsers = named "playwright-browsers-chromium";
  };
  make = overlays:
    let
      extend = rattrs: overlay: final: let prev = rattrs final; in prev // overlay final prev;
      fix = f: let x = f x; in x;
      pkgs = fix (builtins.foldl' extend base overlays);
    in
    pkgs // { appendOverlays = more: make (overlays ++ more); };
in
make [ ]
