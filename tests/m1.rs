//! Gate M1: runs `scenarios/m1/*.toml` against the selected target (`WITNESS_TARGET`, default `twin`).

fn main() -> std::process::ExitCode {
    witness::gate_main("m1")
}
