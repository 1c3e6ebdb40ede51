#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sider_fuzz::resp_decode(data));
