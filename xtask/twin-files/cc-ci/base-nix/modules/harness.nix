# The recipe-test harness: cc-ci-run runs a recipe-test entrypoint with the Python env and
# the tools it needs; the Drone exec runner's pipeline step runs it.
{ pkgs, ... }:
let
  pyEnv = pkgs.python3.withPackages (ps: with ps; [ pytest playwright ]);
  cc-ci-run = pkgs.writeShellApplication {
    name = "cc-ci-run";
    runtimeInputs = [ pyEnv pkgs.abra pkgs.docker pkgs.git pkgs.coreutils pkgs.util-linux ];
    text = ''
      export PLAYWRIGHT_BROWSERS_PATH=${pkgs.playwright-driver.browsers}
      # cc-ci-run runner/<script>.py [args] | cc-ci-run <command> [args]
      case "''${1:-}" in
        *.py) exec python3 "$@" ;;
        *) exec "$@" ;;
      esac
    '';
  };
in
{
  environment.systemPackages = [ cc-ci-run ];
}
