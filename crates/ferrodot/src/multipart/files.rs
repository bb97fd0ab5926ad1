//! Conveniences on the host, as Microdot's `FileUpload` and `request.form`:
//! a file part saved into a directory, a whole form collected.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

use super::{Multipart, MultipartError, Part, Source};
use crate::mpg::path_join_safe;

/// A file part written to disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedFile {
    /// The form field.
    pub field: String,
    /// The client's filename.
    pub filename: String,
    /// The part's `Content-Type`, when it had one.
    pub content_type: Option<String>,
    /// Where it was written: under the directory given, by
    /// [`crate::mpg::path_join_safe`].
    pub path: PathBuf,
    /// How many bytes were written.
    pub bytes: u64,
}

/// A whole form: its text fields and the files it carried.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Collected {
    /// Text fields by name; a repeated name keeps its last value.
    pub fields: BTreeMap<String, String>,
    /// The file parts, saved, in the order they came.
    pub files: Vec<SavedFile>,
}

impl<R: Source, const BUF: usize, const LINE: usize> Part<'_, '_, R, BUF, LINE> {
    /// Write the content to `path` (created or truncated). A write error
    /// is a 500; on any error the file is removed.
    pub async fn save_as(&mut self, path: &Path) -> Result<u64, MultipartError> {
        let mut file = std::fs::File::create(path).map_err(|_| MultipartError::Storage("cannot create the file"))?;
        let result = async {
            while let Some(piece) = self.chunk().await? {
                file.write_all(piece)
                    .map_err(|_| MultipartError::Storage("cannot write the file"))?;
            }
            Ok(self.bytes_read())
        }
        .await;
        if result.is_err() {
            drop(file);
            let _ = std::fs::remove_file(path);
        }
        result
    }

    /// Save a file part under `dir` with the client's filename, joined
    /// with [`crate::mpg::path_join_safe`]: a name that would leave `dir`
    /// (`..`, absolute, NUL, a link out) is a 400 and nothing is written.
    pub async fn save_in(&mut self, dir: &Path) -> Result<SavedFile, MultipartError> {
        let filename = self
            .filename()
            .ok_or(MultipartError::Malformed("multipart part is not a file"))?
            .to_string();
        let path =
            path_join_safe(dir, &filename).map_err(|_| MultipartError::Malformed("unsafe multipart filename"))?;
        let bytes = self.save_as(&path).await?;
        Ok(SavedFile {
            field: self.name().to_string(),
            filename,
            content_type: self.content_type().map(ToString::to_string),
            path,
            bytes,
        })
    }
}

impl<R: Source, const BUF: usize, const LINE: usize> Multipart<'_, R, BUF, LINE> {
    /// Read the whole form: text fields into a map, their content at most
    /// `max_text` bytes together (413 past it); file parts saved under
    /// `files` (see [`Part::save_in`]), or refused with 400 when it is
    /// `None`. On any error the files already saved are removed: a
    /// refused form leaves nothing behind.
    pub async fn collect(&mut self, max_text: usize, files: Option<&Path>) -> Result<Collected, MultipartError> {
        let mut out = Collected::default();
        let result = self.collect_into(&mut out, max_text, files).await;
        if result.is_err() {
            for file in &out.files {
                let _ = std::fs::remove_file(&file.path);
            }
        }
        result.map(|()| out)
    }

    async fn collect_into(
        &mut self,
        out: &mut Collected,
        max_text: usize,
        files: Option<&Path>,
    ) -> Result<(), MultipartError> {
        let mut text_left = max_text;
        while let Some(mut part) = self.next_part().await? {
            if part.is_file() {
                let dir = files.ok_or(MultipartError::Malformed("this form takes no files"))?;
                out.files.push(part.save_in(dir).await?);
                continue;
            }
            let mut value = Vec::new();
            while let Some(piece) = part.chunk().await? {
                text_left = text_left
                    .checked_sub(piece.len())
                    .ok_or(MultipartError::TooLarge("multipart text fields too large"))?;
                value.extend_from_slice(piece);
            }
            let value =
                String::from_utf8(value).map_err(|_| MultipartError::Malformed("multipart field is not UTF-8"))?;
            out.fields.insert(part.name().to_string(), value);
        }
        Ok(())
    }
}
