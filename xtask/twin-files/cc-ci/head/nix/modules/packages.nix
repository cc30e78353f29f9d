# The recipe-test runtime env, declared once (phase nixenv): the Python env, the tools recipe
# tests and the harness shell out to, and cc-ci-run, the one entrypoint that runs a test with
# both. The Drone step and the nightly sweep run cc-ci-run; both hosts' systemPackages (the
# Drone runner's PATH) are ccciRuntimeTools. Add a dependency here and every path gets it.
{ ... }:
{
  nixpkgs.overlays = [
    (final: prev:
      let
        ccciPyEnv = final.python3.withPackages (ps: with ps; [ pytest playwright ]);
      in
      {
        ccciRuntimeTools = with final; [
          abra
          docker
          git
          git-lfs
          bash
          coreutils
          util-linux
          curl
          jq
          gnused
          gnugrep
          gnutar
          openssl
          procps
        ];

        cc-ci-run = final.writeShellApplication {
          name = "cc-ci-run";
          runtimeInputs = [ ccciPyEnv ] ++ final.ccciRuntimeTools;
          text = ''
            # playwright's browsers, the same for every path that runs a recipe test.
            export PLAYWRIGHT_BROWSERS_PATH=${final.playwright-driver.browsers}
            # cc-ci-run runner/<script>.py [args] | cc-ci-run <command> [args]
            case "''${1:-}" in
              *.py) exec python3 "$@" ;;
              *) exec "$@" ;;
            esac
          '';
        };
      })
  ];
}
