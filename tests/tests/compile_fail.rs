//! Type errors users can make with sider, and the messages they get. The `.stderr` snapshots sit
//! beside each case in `tests/ui/`; regenerate them with `TRYBUILD=overwrite` after reading the
//! diff. Snapshots depend on the compiler version: they are written with the toolchain this
//! repository builds with (rustc 1.95).

#[test]
fn type_errors_do_not_compile() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
