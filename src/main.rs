fn main() -> std::process::ExitCode {
    nsslint::cli::main()
}
