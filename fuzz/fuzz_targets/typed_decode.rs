#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sider_fuzz::typed_decode(data));
