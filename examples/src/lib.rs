//! Runnable examples for sider live in `examples/`; see the README.
