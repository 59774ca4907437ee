//! The `scanpay` command-line tool.
fn main() {}
