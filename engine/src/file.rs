//! Writing files that may already exist: reports, analyses, call statistics, plan state.

use std::io::{self, Write};
use std::path::Path;

/// Writes `contents` to `path` without ever opening `path` itself: a new file is created
/// in the same directory, written, synced and renamed over `path`. Whatever stood there
/// is replaced whole: a file, or a symbolic link planted to redirect the write elsewhere,
/// whose target is never touched; and a reader sees the old contents or the new, never
/// half of them. The file gets the permissions of any new file (0666 less the umask).
///
/// Every file gameday writes where one may already be goes through here; the journal,
/// which is created anew and only appended to, does not.
pub fn replace(path: &Path, contents: impl AsRef<[u8]>) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file name", path.display()),
        )
    })?;
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".new");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut new = builder.tempfile_in(dir)?;
    new.write_all(contents.as_ref())?;
    new.as_file().sync_all()?;
    // On failure the new file is removed when the error drops it.
    new.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_and_nothing_is_left_beside_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.md");
        replace(&path, "first").expect("write");
        replace(&path, "second").expect("write again");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["report.md"], "no temporary file is left");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_replaced_and_its_target_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let target = outside.path().join("precious");
        std::fs::write(&target, "precious").expect("write");
        let path = dir.path().join("report.md");
        std::os::unix::fs::symlink(&target, &path).expect("symlink");
        replace(&path, "report").expect("write");
        assert!(
            std::fs::symlink_metadata(&path)
                .expect("stat")
                .file_type()
                .is_file(),
            "the link itself is replaced by a file"
        );
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "report");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "precious");
        // The permissions of a file written the ordinary way.
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "").expect("write");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain));
    }

    #[test]
    fn a_directory_in_the_way_is_an_error_naming_nothing_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("report.md");
        std::fs::create_dir(&path).expect("mkdir");
        assert!(replace(&path, "x").is_err());
        assert!(path.is_dir());
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
    }
}
