// The path is relative to the crate trybuild generates under target/tests/trybuild/.
sider::commands! {
    pub trait Broken;
    spec = "../../../../tests/ui/broken-spec";
}

fn main() {}
