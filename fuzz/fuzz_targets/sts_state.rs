//! sts-mock's `--state FILE` (what the IAM API changed, kept across restarts), read back as
//! `sts-mock serve --state FILE` reads it: `state::StateFile::load` (whose file it is, whether
//! it is whole, its format version), then `Model::from_snapshot`, which must refuse what IAM
//! would refuse rather than restore a model the rest of sts-mock cannot serve. A state file is
//! outside input: hand-edited, truncated by a full disk, or another program's.
//!
//! Input: the file's bytes, written to a file of this process's own under the temporary
//! directory before each load and removed after it. Seeds: state files sts-mock wrote for the IAM calls of the
//! seeds (`fuzz/seeds.py`), truncated and foreign ones.
//!
//! Checked beyond "no panic": a restored model is saved and loaded again to the same roles.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sts_mock::model::Snapshot;
use sts_mock::state::StateFile;
use sts_mock::Model;

fn file() -> &'static StateFile {
    static FILE: OnceLock<StateFile> = OnceLock::new();
    FILE.get_or_init(|| {
        let path: PathBuf =
            std::env::temp_dir().join(format!("rig-fuzz-state-{}.json", std::process::id()));
        StateFile::new(path)
    })
}

/// Removes the state file when an input is done, however it ended, so no run leaves files in
/// the temporary directory.
struct Written(&'static StateFile);

impl Drop for Written {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0.path());
    }
}

fuzz_target!(|data: &[u8]| {
    let file = file();
    std::fs::write(file.path(), data).expect("the state file is written");
    let _written = Written(file);
    let Ok(Some(snapshot)) = file.load::<Snapshot>() else {
        return;
    };
    let Ok(model) = Model::from_snapshot(snapshot) else {
        return;
    };
    let snapshot = model.snapshot();
    file.save(&snapshot).expect("a restored model is saved");
    let again = file
        .load::<Snapshot>()
        .expect("a saved state loads")
        .expect("it is there");
    let again = Model::from_snapshot(again).expect("a saved model restores");
    assert_eq!(
        serde_json::to_value(again.snapshot()).unwrap(),
        serde_json::to_value(&snapshot).unwrap(),
        "the model changed through save and load"
    );
});
