//! Procedural macros for sider: they read the declarative Redis command spec in `commands/`
//! and generate the typed command API. This crate is an implementation detail of `sider`.
